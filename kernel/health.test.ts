import { describe, expect, it } from 'vitest';
import { createHealth, isReady } from './health.ts';

describe('readiness', () => {
  const failing = (message: string) => () => {
    throw new Error(message);
  };

  it('is ready when every check passes, and says how each went', async () => {
    const health = createHealth();
    health.add({ name: 'postgres', critical: true, check: async () => {} });
    health.add({ name: 'redis', critical: false, check: () => {} });
    const report = await health.report();
    expect(report.status).toBe('ready');
    expect(isReady(report)).toBe(true);
    expect(report.checks.postgres).toMatchObject({ ok: true, critical: true });
    expect(report.checks.redis).toMatchObject({ ok: true, critical: false });
  });

  it('is only degraded while a check that is not critical fails', async () => {
    const health = createHealth();
    health.add({ name: 'postgres', critical: true, check: () => {} });
    health.add({ name: 'redis', critical: false, check: failing('connection refused') });
    const report = await health.report();
    expect(report.status).toBe('degraded');
    expect(isReady(report)).toBe(true);
    expect(report.checks.redis).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('is unready while a critical check fails, and ready again once it passes', async () => {
    let down = true;
    const health = createHealth();
    health.add({ name: 'postgres', critical: true, check: () => (down ? failing('terminated')() : undefined) });
    expect((await health.report()).status).toBe('unready');
    expect(isReady(await health.report())).toBe(false);
    down = false;
    expect((await health.report()).status).toBe('ready');
  });

  it('counts a check that does not answer in time as failed', async () => {
    const health = createHealth({ timeoutMs: 50 });
    health.add({ name: 'postgres', critical: true, check: () => new Promise(() => {}) });
    const report = await health.report();
    expect(report.status).toBe('unready');
    expect(report.checks.postgres?.error).toBe('no answer within 50 ms');
  });

  it('is draining, never ready, once shutdown began', async () => {
    const health = createHealth();
    health.add({ name: 'postgres', critical: true, check: () => {} });
    health.drain();
    const report = await health.report();
    expect(report.status).toBe('draining');
    expect(isReady(report)).toBe(false);
  });

  it('runs the checks once for callers that ask at the same time', async () => {
    let runs = 0;
    const health = createHealth();
    health.add({
      name: 'postgres',
      critical: true,
      check: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 10));
      },
    });
    await Promise.all([health.report(), health.report(), health.report()]);
    expect(runs).toBe(1);
    await health.report();
    expect(runs).toBe(2);
  });
});
