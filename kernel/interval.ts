import type { Logger } from './logger.ts';

/**
 * Runs `task` every `ms`, never two at once, logging failures; the returned function stops it and
 * waits for a run in progress.
 */
export function every(ms: number, task: () => Promise<unknown>, logger: Logger, what: string): () => Promise<void> {
  let current: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (current) return;
    current = task()
      .catch((err: unknown) => logger.warn({ err }, `${what} failed; will retry`))
      .finally(() => {
        current = undefined;
      });
  }, ms);
  return async () => {
    clearInterval(timer);
    await current;
  };
}

/**
 * `read` shared by whoever asks while it runs (the concurrent probes of a health check, the gauges
 * of one scrape, which Prometheus's client collects at once): they get that call's promise; a call
 * after it settled reads again.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    current ??= read().finally(() => {
      current = undefined;
    });
    return current;
  };
}
