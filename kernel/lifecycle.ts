import type { Logger } from './logger.ts';

export type DisposeFn = () => Promise<void> | void;

/**
 * A stack of disposers: what was acquired last is released first, so a consumer stops before
 * the database it writes to is closed. `dispose` is idempotent and keeps going past a failure.
 */
export interface Disposer {
  use(fn: DisposeFn): void;
  dispose(): Promise<void>;
}

export function createDisposer(logger?: Logger): Disposer {
  const stack: DisposeFn[] = [];
  let disposing: Promise<void> | undefined;
  return {
    use(fn) {
      stack.push(fn);
    },
    dispose() {
      disposing ??= (async () => {
        while (stack.length > 0) {
          const fn = stack.pop()!;
          try {
            await fn();
          } catch (err) {
            logger?.error({ err }, 'dispose failed');
          }
        }
      })();
      return disposing;
    },
  };
}

/** Runs `dispose` once on SIGTERM or SIGINT, then exits; a second signal exits at once. */
export function exitOnSignal(dispose: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    dispose().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
