import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client/index.ts';
import { freePort, type RunningSystem, startSystem, waitFor } from '../harness/index.ts';
import { tcpReachable } from '../kernel/index.ts';

/**
 * The cache is an optimisation: the system runs on a Redis of its own, which the test kills.
 * Reads, mutations and subscriptions must go on without an error, uncached.
 */
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';
let redis: ChildProcess;
let system: RunningSystem;
let alice: Client;

beforeAll(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await waitFor(
    () => tcpReachable('127.0.0.1', port),
    (up) => up,
    { what: 'the test Redis to listen' },
  );
  system = await startSystem('redis-outage', { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  alice = await system.client('alice');
});
afterAll(async () => {
  await alice?.dispose();
  await system?.stop();
  redis?.kill('SIGKILL');
});

const stats = async () => ({
  orderCache: (
    (await fetch(`${system.serviceUrl('order')}/stats`).then((r) => r.json())) as {
      orderCache: { hits: number; misses: number };
    }
  ).orderCache,
  responseCache: (
    (await fetch(`${system.serviceUrl('gateway')}/stats`).then((r) => r.json())) as {
      responseCache: { hitsLocal: number; hitsShared: number };
    }
  ).responseCache,
});

describe('a Redis outage', () => {
  it("serves from the order service's read model and the gateway's response cache while Redis is up", async () => {
    const order = await alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    await waitFor(
      async () => (await alice.orderStatus(order.id))!.status,
      (s) => s === 'COMPLETED',
      { what: 'the order' },
    );
    const before = await stats();
    // A document the gateway has not answered yet: the order service reads the view the polls left.
    await alice.order(order.id);
    await alice.order(order.id); // now from the gateway's response cache
    const after = await stats();
    expect(after.orderCache.hits).toBeGreaterThan(before.orderCache.hits);
    expect(after.responseCache.hitsLocal).toBeGreaterThan(before.responseCache.hitsLocal);
  });

  it('degrades to uncached reads without errors when Redis dies', async () => {
    const gone = new Promise((r) => redis.once('exit', r));
    redis.kill('SIGKILL');
    await gone;
    const order = await alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 2 }], paymentToken: 'tok_visa' });
    const statuses: string[] = [];
    for await (const event of alice.orderStatusChanged(order.id)) statuses.push(event.status);
    expect(statuses.at(-1)).toBe('COMPLETED');
    const full = await alice.order(order.id);
    expect(full).toMatchObject({ status: 'COMPLETED', payment: { status: 'APPROVED' } });
    expect((await alice.product(NOTEBOOK))!.reserved).toBe(0);
    expect((await alice.orders({ first: 5 })).edges.length).toBeGreaterThan(0);
  });

  it('leaves every process ready, degraded, while Redis is away', async () => {
    for (const service of ['gateway', 'order', 'inventory', 'payment'] as const) {
      const answer = await waitFor(
        async () => {
          const res = await fetch(`${system.serviceUrl(service)}/health/ready`);
          return {
            status: res.status,
            body: (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> },
          };
        },
        (r) => r.body.status !== 'ready',
        { what: `${service} to notice Redis is away` },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('degraded');
      expect(answer.body.checks.redis?.ok).toBe(false);
    }
  });
});
