import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEnv, type RunningSystem, startSystem, startTcpProxy, type TcpProxy, waitFor } from '../harness/index.ts';

/**
 * Readiness on real infrastructure. The inventory service reaches PostgreSQL through a TCP proxy
 * this test owns: cutting it takes the database away from that one process (the machine's server
 * and every other suite's database stay up), as a network partition would.
 */
let proxy: TcpProxy;
let system: RunningSystem;

type Ready = { status: number; body: { status: string; checks?: Record<string, { ok: boolean; error?: string }> } };
const ready = async (service: 'inventory' | 'gateway' | 'order'): Promise<Ready> => {
  const res = await fetch(`${system.serviceUrl(service)}/health/ready`);
  return { status: res.status, body: (await res.json()) as Ready['body'] };
};
const live = async (service: 'inventory') => (await fetch(`${system.serviceUrl(service)}/health/live`)).status;

beforeAll(async () => {
  const postgres = new URL(infraEnv.postgresAdminUrl);
  proxy = await startTcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
  system = await startSystem('readiness', {
    serviceEnv: {
      inventory: (base) => {
        const url = new URL(base.DATABASE_URL!);
        url.host = `127.0.0.1:${proxy.port}`;
        return { DATABASE_URL: url.toString() };
      },
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await proxy?.close();
});

describe('readiness', () => {
  it('is ready once the database answers, the consumers joined and the relay runs, and says so check by check', async () => {
    for (const service of ['inventory', 'order', 'gateway'] as const) {
      const answer = await waitFor(
        () => ready(service),
        (r) => r.status === 200,
        { what: `${service} to be ready`, timeoutMs: 60_000 },
      );
      expect(answer.body.status).toBe('ready');
      // Asked from this machine: the checks are shown.
      expect(Object.values(answer.body.checks ?? {}).every((c) => c.ok)).toBe(true);
    }
    expect(Object.keys((await ready('inventory')).body.checks!).sort()).toEqual([
      'consumer',
      'outbox-relay',
      'postgres',
      'redis',
    ]);
    expect(Object.keys((await ready('gateway')).body.checks!).sort()).toEqual(['order-events', 'redis']);
  });

  it('answers 503 within seconds of losing PostgreSQL while it still answers live, and 200 again once it is back', async () => {
    await waitFor(
      () => ready('inventory'),
      (r) => r.status === 200,
      { what: 'inventory to be ready', timeoutMs: 60_000 },
    );
    proxy.cut();
    const cut = Date.now();
    try {
      const unready = await waitFor(
        () => ready('inventory'),
        (r) => r.status === 503,
        { what: 'inventory to answer unready', timeoutMs: 15_000 },
      );
      expect(unready.body.status).toBe('unready');
      expect(unready.body.checks?.postgres?.ok).toBe(false);
      expect(Date.now() - cut).toBeLessThan(15_000);
      expect(await live('inventory')).toBe(200);
      // Only the inventory service lost its database.
      expect((await ready('order')).status).toBe(200);
    } finally {
      proxy.restore();
    }
    const back = await waitFor(
      () => ready('inventory'),
      (r) => r.status === 200,
      { what: 'inventory to be ready again', timeoutMs: 30_000 },
    );
    expect(back.body.status).toBe('ready');
  });

  it('stops being ready as soon as it is told to shut down, before it stops serving', async () => {
    await system.signal('inventory', 'SIGTERM');
    await system.restart('inventory', { env: { SHUTDOWN_DRAIN_MS: '5000' } });
    await waitFor(
      () => ready('inventory'),
      (r) => r.status === 200,
      { what: 'inventory to be ready', timeoutMs: 60_000 },
    );
    const { pid } = system.processes().find((p) => p.name === 'inventory')!;
    process.kill(pid, 'SIGTERM');
    const draining = await waitFor(
      () => ready('inventory'),
      (r) => r.status === 503,
      { what: 'inventory to answer unready', timeoutMs: 5_000 },
    );
    expect(draining.body.status).toBe('draining');
    expect(await live('inventory')).toBe(200);
    // Then it stops serving by itself.
    await waitFor(
      () => live('inventory').catch(() => 0),
      (status) => status === 0,
      { what: 'inventory to stop', timeoutMs: 30_000 },
    );
  });
});
