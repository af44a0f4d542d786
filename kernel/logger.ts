import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * Where secrets could reach a log line, whatever logged it: payment tokens, a request's variables
 * (they carry payment tokens), bearer tokens and socket connection parameters. Redacted by path.
 */
const REDACTED = [
  'paymentToken',
  '*.paymentToken',
  '*.*.paymentToken',
  'variables',
  '*.variables',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'connectionParams',
  '*.connectionParams',
];

/** The fields of an error that say what went wrong without repeating the data it went wrong on. */
const SAFE_FIELDS = [
  'code',
  'severity',
  'constraint_name',
  'table_name',
  'column_name',
  'routine',
  'errno',
  'syscall',
  'address',
  'port',
  'retriable',
  'claim',
  'reason',
  'limit',
  'status',
];

/** A failed query's message repeats its bound parameters (`params: …`): they are data, not diagnosis. */
const scrub = (text: string) => text.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/, '\nparams: [redacted]');

/**
 * Serialises an error for the log: its type, message and stack (with bound parameters removed),
 * the codes that classify it, and its cause, the same way. The rest — a database error's query
 * parameters and detail, a GraphQL error's variables — is left out.
 */
export function safeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 5)
    return err instanceof Error ? { type: err.name, message: scrub(err.message) } : err;
  const fields = err as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: err.name, message: scrub(err.message), stack: scrub(err.stack ?? '') };
  for (const key of SAFE_FIELDS) if (key in fields && typeof fields[key] !== 'object') out[key] = fields[key];
  if (err.cause !== undefined) out.cause = safeError(err.cause, depth + 1);
  if (Array.isArray(fields.errors)) out.errors = fields.errors.map((e) => safeError(e, depth + 1));
  return out;
}

/** One JSON logger per process; services take a child with their name. */
export function createLogger(level: string, name = 'sagaway', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { pid: process.pid },
    redact: { paths: REDACTED, censor: '[redacted]' },
    serializers: { err: safeError },
  };
  return destination ? pino(options, destination) : pino(options);
}
