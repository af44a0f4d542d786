/**
 * Admission control for sagas: a saga that is started must be able to finish before its deadline,
 * so when the sagas in flight would take longer than `waitMs` to drain at the rate sagas have been
 * finishing, a new one is refused before anything is written (the caller retries after the advised
 * delay). The rate is learned from the backlog itself: what was in flight, plus what started,
 * minus what is in flight now, finished in between.
 */
export interface AdmissionLimits {
  /** How long the sagas in flight may take to drain before new ones are refused. */
  waitMs: number;
  /** Always admitted up to this many in flight, whatever the rate (a cold or idle system). */
  minInFlight: number;
  /** Never more than this many in flight. */
  maxInFlight: number;
}

export type AdmissionVerdict = { admit: true } | { admit: false; limit: number; retryAfterMs: number };

/** The pure rule: admit while fewer than `rate × wait` sagas are in flight, within the bounds. */
export function decideAdmission(
  { inFlight, finishedPerSecond }: { inFlight: number; finishedPerSecond: number },
  limits: AdmissionLimits,
): AdmissionVerdict {
  const limit = Math.min(
    limits.maxInFlight,
    Math.max(limits.minInFlight, Math.floor((finishedPerSecond * limits.waitMs) / 1000)),
  );
  if (inFlight < limit) return { admit: true };
  // Long enough for the excess to drain at the current rate, never beyond the wait budget.
  const drainMs = finishedPerSecond > 0 ? ((inFlight - limit + 1) / finishedPerSecond) * 1000 : limits.waitMs / 4;
  return { admit: false, limit, retryAfterMs: Math.round(Math.min(limits.waitMs, Math.max(250, drainMs))) };
}

/** What a replica reads from the shared saga store on each sample. */
export interface BacklogSample {
  inFlight: number;
  /** Sagas started since the previous sample's time. */
  startedSince: number;
}

export interface Admission {
  /** Whether a new saga may start now. */
  check(): AdmissionVerdict;
  /** A saga was started here since the last sample. */
  admitted(): void;
  /** Feeds a sample taken at `at` (ms); the first one only sets the baseline. */
  observe(sample: BacklogSample, at: number): void;
  /** For `/stats`. */
  stats(): { inFlight: number; finishedPerSecond: number; refused: number };
}

/**
 * The admission state of one replica: the latest sample of the shared backlog, the sagas this
 * replica admitted since (so a burst between samples is counted), and a smoothed finishing rate.
 */
export function createAdmission(
  limits: AdmissionLimits,
  { smoothingMs = 5000 }: { smoothingMs?: number } = {},
): Admission {
  let inFlight = 0;
  let admittedSince = 0;
  let rate = 0;
  let last: { at: number; inFlight: number } | undefined;
  let refused = 0;
  return {
    check() {
      const verdict = decideAdmission({ inFlight: inFlight + admittedSince, finishedPerSecond: rate }, limits);
      if (!verdict.admit) refused++;
      return verdict;
    },
    admitted() {
      admittedSince++;
    },
    observe(sample, at) {
      if (last && at > last.at) {
        const finished = Math.max(0, last.inFlight + sample.startedSince - sample.inFlight);
        const dt = at - last.at;
        const weight = Math.min(1, dt / smoothingMs);
        rate = rate * (1 - weight) + (finished / (dt / 1000)) * weight;
      }
      last = { at, inFlight: sample.inFlight };
      inFlight = sample.inFlight;
      admittedSince = 0;
    },
    stats: () => ({ inFlight: inFlight + admittedSince, finishedPerSecond: Math.round(rate * 10) / 10, refused }),
  };
}
