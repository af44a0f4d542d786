import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client/index.ts';
import { type RunningSystem, startSystem } from '../harness/index.ts';

/**
 * The gateway's response cache on two gateway replicas sharing Redis, with real Kafka and
 * PostgreSQL: answers are served from the cache, and yet no client reads an order or a page older
 * than a state it has already seen — an event from either replica, or its own mutation.
 */
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';

const ONE = 'query One($id: ID!) { order(id: $id) { id status version } }';
const PAGE = 'query Page { orders(first: 50) { edges { node { id status version } } } }';

interface OrderState {
  id: string;
  status: string;
  version: number;
}

let system: RunningSystem;
let alice: Client;
let token: string;
const clients: Client[] = [];

beforeAll(async () => {
  system = await startSystem('response-cache', { replicas: { gateway: 2 } });
  alice = await system.client('rc-alice');
  clients.push(alice);
  token = await system.token('rc-alice');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await system?.stop();
});

/** One query through one replica: its data, and where the answer came from (`x-cache`). */
async function ask<T>(url: string, query: string, variables: object = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return { data: body.data, cache: response.headers.get('x-cache') };
}
const page = async (url: string) =>
  (await ask<{ orders: { edges: { node: OrderState }[] } }>(url, PAGE)).data.orders.edges.map((e) => e.node);
const one = async (url: string, id: string) => (await ask<{ order: OrderState }>(url, ONE, { id })).data.order;

describe('the response cache across two gateway replicas', () => {
  it('answers a repeated read from the cache, on either replica', async () => {
    const [first, second] = system.gatewayUrls() as [string, string];
    const order = await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    for await (const _ of alice.orderStatusChanged(order.id)); // until final: no change in between
    expect((await ask(first, ONE, { id: order.id })).cache).toBe('miss');
    expect((await ask(first, ONE, { id: order.id })).cache).toBe('local-hit');
    expect((await ask(second, ONE, { id: order.id })).cache).toBe('shared-hit');
    expect((await ask(second, ONE, { id: order.id })).cache).toBe('local-hit');
  });

  it('shows a new order on the next read of a cached page, through the other replica', async () => {
    const [first, second] = system.gatewayUrls() as [string, string];
    const viaFirst = await system.client('rc-alice', { url: first });
    clients.push(viaFirst);
    for (let i = 0; i < 3; i++) {
      await page(second);
      expect((await ask(second, PAGE)).cache).toMatch(/hit$/);
      const placed = await viaFirst.placeOrder({
        items: [{ productId: NOTEBOOK, quantity: 1 }],
        paymentToken: 'tok_visa',
      });
      expect((await page(second)).map((o) => o.id)).toContain(placed.id);
      // Its saga's events would make the next round's page stale while it is being checked.
      for await (const _ of viaFirst.orderStatusChanged(placed.id));
    }
  });

  it('never serves, on either replica, an order or a page older than an event a client has seen', async () => {
    const urls = system.gatewayUrls();
    const orders = await Promise.all(
      Array.from({ length: 4 }, () =>
        alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' }),
      ),
    );
    // Readers keep both replicas' caches warm while the sagas run.
    let reading = true;
    const warm = (async () => {
      while (reading) for (const url of urls) await Promise.all([page(url), ...orders.map((o) => one(url, o.id))]);
    })();
    const checks: { seen: number; order: number; page: number }[] = [];
    try {
      await Promise.all(
        orders.map(async (order, i) => {
          // Subscribed through one replica, read through the other (and the same).
          const watcher = await system.client('rc-alice', { url: urls[i % 2] });
          clients.push(watcher);
          for await (const event of watcher.orderStatusChanged(order.id)) {
            for (const url of [urls[(i + 1) % 2]!, urls[i % 2]!]) {
              const [read, listed] = await Promise.all([one(url, order.id), page(url)]);
              const inPage = listed.find((o) => o.id === order.id);
              checks.push({ seen: event.version, order: read.version, page: inPage?.version ?? -1 });
            }
          }
        }),
      );
    } finally {
      reading = false;
      await warm;
    }
    expect(checks.length).toBeGreaterThanOrEqual(orders.length * 2);
    for (const c of checks) {
      expect(c.order).toBeGreaterThanOrEqual(c.seen);
      expect(c.page).toBeGreaterThanOrEqual(c.seen);
    }
    // The cache was in play: the warm readers were served from it.
    const stats = await Promise.all(
      urls.map((url) =>
        fetch(url.replace(/\/graphql$/, '/stats')).then(
          (r) => r.json() as Promise<{ responseCache: { hitsLocal: number; hitsShared: number } }>,
        ),
      ),
    );
    expect(stats.reduce((n, s) => n + s.responseCache.hitsLocal + s.responseCache.hitsShared, 0)).toBeGreaterThan(0);
  });
});
