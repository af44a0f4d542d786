// Test helpers of the kernel, for tests in any folder.
import { vi } from 'vitest';

/**
 * Runs `fn` under a clock that starts `beforeSecondMs` milliseconds before a whole second and moves
 * one millisecond further at every reading (`new Date()` and `Date.now()`; `new Date(ms)` as usual), so that code reading the
 * clock twice sees a second tick between its readings.
 */
export async function withTickingClock<T>(fn: () => Promise<T>, beforeSecondMs = 1): Promise<T> {
  let clock = Date.UTC(2026, 0, 1) - beforeSecondMs;
  const RealDate = Date;
  vi.stubGlobal(
    'Date',
    class extends RealDate {
      constructor(...args: [number?]) {
        super(args.length > 0 ? args[0]! : clock++);
      }
      static override now = () => clock++;
    },
  );
  try {
    return await fn();
  } finally {
    vi.unstubAllGlobals();
  }
}
