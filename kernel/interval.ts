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
