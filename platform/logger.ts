import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; services take a child with their name. */
export function createLogger(level: string, name = 'sagaway'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
