import { sharedRead } from './interval.ts';

/**
 * A process's health, as an orchestrator asks for it: live (the process runs — answered without
 * looking at anything) and ready (it can do its work now). Readiness is the verdict of checks: a
 * failing critical check (its database, its consumers, its relay) makes the process unready; a
 * failing other one (Redis, which the process works without, only slower) makes it degraded,
 * still ready. Once shutdown begins the process is draining: unready, whatever the checks say, so
 * traffic moves away before the server stops.
 */
export interface HealthCheck {
  name: string;
  /** Unready while it fails; otherwise the process is only degraded. */
  critical: boolean;
  /** Returns when healthy; throws why not. */
  check(): Promise<void> | void;
}

export type Readiness = 'ready' | 'degraded' | 'unready' | 'draining';

export interface HealthReport {
  status: Readiness;
  checks: Record<string, { ok: boolean; critical: boolean; ms: number; error?: string }>;
}

export interface Health {
  add(check: HealthCheck): void;
  /** Shutdown has begun: unready from now on. */
  drain(): void;
  /** Runs every check (at most `timeoutMs` each; concurrent callers share one run). */
  report(): Promise<HealthReport>;
}

/** Whether a report lets traffic in: ready or degraded. */
export const isReady = (report: HealthReport): boolean => report.status === 'ready' || report.status === 'degraded';

export function createHealth({ timeoutMs = 2000 }: { timeoutMs?: number } = {}): Health {
  const checks: HealthCheck[] = [];
  let draining = false;

  const run = async (c: HealthCheck): Promise<HealthReport['checks'][string]> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => c.check()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, critical: c.critical, ms: Math.round(performance.now() - started) };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { ok: false, critical: c.critical, ms: Math.round(performance.now() - started), error };
    } finally {
      clearTimeout(timer);
    }
  };

  const evaluate = async (): Promise<HealthReport> => {
    const results = await Promise.all(checks.map(run));
    const byName = Object.fromEntries(checks.map((c, i) => [c.name, results[i]!]));
    const failing = results.filter((r) => !r.ok);
    const status: Readiness = draining
      ? 'draining'
      : failing.some((r) => r.critical)
        ? 'unready'
        : failing.length > 0
          ? 'degraded'
          : 'ready';
    return { status, checks: byName };
  };

  return {
    add(check) {
      checks.push(check);
    },
    drain() {
      draining = true;
    },
    report: sharedRead(evaluate),
  };
}
