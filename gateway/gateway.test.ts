import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient } from '../client/index.ts';
import { demoCatalog } from '../harness/index.ts';
import { devPolicy, signDevToken } from '../kernel/index.ts';
import type { EmbeddedSystem } from '../system/embedded.ts';
import { startEmbeddedForTest } from '../system/testing.ts';

/**
 * The whole graph in one process on PGlite: what the gateway refuses before asking a subgraph, and
 * how many SQL statements one page of orders costs across all three subgraphs.
 */
const JWT_SECRET = 'gateway-test-secret-0123456789';
let system: EmbeddedSystem;
let statements: string[] = [];
let alice: Client;
let token: string;

const post = async (query: string, variables: Record<string, unknown> = {}) =>
  (await fetch(system.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json())) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

beforeAll(async () => {
  // Background work (relay polls, sweeps) is slowed down so that only the request's SQL is counted.
  system = await startEmbeddedForTest(
    { JWT_SECRET, SAGA_SWEEP_MS: '60000', SAGA_ADMISSION_SAMPLE_MS: '60000' },
    { onQuery: (sql) => statements.push(sql) },
  );
  token = await signDevToken(devPolicy(JWT_SECRET), 'alice');
  alice = createClient({ url: system.url, token });
});
afterAll(() => system?.stop());

describe('the gateway', () => {
  it('answers a page of 20 orders × 3 items with products, payments and sagas in a handful of SQL statements', async () => {
    const products = demoCatalog.slice(0, 3);
    for (let i = 0; i < 20; i++) {
      await alice.placeOrder({
        items: products.map((p) => ({ productId: p.id, quantity: 1 })),
        paymentToken: i % 2 ? 'tok_visa' : 'tok_chargeDeclined',
      });
    }
    await expect
      .poll(
        async () =>
          (await alice.orders({ first: 20 })).edges.every(
            (e) => e.node.status === 'COMPLETED' || e.node.status === 'FAILED',
          ),
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);

    statements = [];
    const full =
      (await post(`{ orders(first: 20) { edges { node { id status items { quantity unitPrice product { sku price available reserved } }
      payment { status amount } saga { status steps { name status } } } } } }`)) as {
        data: {
          orders: { edges: { node: { items: { product: { sku: string } }[]; payment: { status: string } | null } }[] };
        };
      };
    const nodes = full.data.orders.edges.map((e) => e.node);
    expect(nodes).toHaveLength(20);
    expect(nodes.every((n) => n.items.length === 3 && n.items.every((i) => i.product.sku))).toBe(true);
    expect(nodes.filter((n) => n.payment?.status === 'APPROVED')).toHaveLength(10);
    // orders, items, sagas (order subgraph) + products (inventory) + payments (payment): one each.
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(5);
  });

  it("answers an admin's page of 20 sagas with their orders and payments in a handful of SQL statements", async () => {
    const admin = await signDevToken(devPolicy(JWT_SECRET), 'ops', { admin: true });
    statements = [];
    const page = (await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        query:
          '{ sagas(first: 20) { edges { node { id status order { id customerId status payment { status } } } } } }',
      }),
    }).then((r) => r.json())) as { data: { sagas: { edges: { node: { order: { customerId: string } } }[] } } };
    expect(page.data.sagas.edges).toHaveLength(20);
    expect(page.data.sagas.edges.every((e) => e.node.order.customerId === 'alice')).toBe(true);
    // sagas, their orders (order subgraph) + payments (payment): one each.
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(3);
  });

  it('refuses a page larger than the limit before asking a subgraph, and an oversized body', async () => {
    const res = await post('query($n: Int) { orders(first: $n) { edges { node { id } } } }', { n: 500 });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'maxListSize' });
    const big = await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: '{ products { edges { node { id } } } }',
        variables: { pad: 'x'.repeat(300_000) },
      }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('lets every operation of the SDK through the default limits', async () => {
    const res = await post(
      '{ orders(first: 100) { edges { node { items { product { sku } } payment { status } saga { steps { name } } } } pageInfo { hasNextPage } } }',
    );
    expect(res.errors).toBeUndefined();
  });

  /** Posts a raw GraphQL-over-HTTP body; answers the status and the errors. */
  const raw = async (body: unknown) => {
    const res = await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      cache: res.headers.get('x-cache'),
      errors: ((await res.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] }).errors,
    };
  };

  it('keeps an answer with data and no error, and serves it again from memory; an answer with an error never', async () => {
    const page = { query: '{ products(first: 2) { edges { node { sku name } } } }' };
    expect((await raw(page)).cache).toBe('miss');
    expect((await raw(page)).cache).toBe('local-hit');
    // Another customer's order: null with FORBIDDEN, for bob.
    const [order] = (await alice.orders({ first: 1 })).edges;
    const bob = await signDevToken(devPolicy(JWT_SECRET), 'bob');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(system.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bob}` },
        body: JSON.stringify({ query: 'query($id: ID!) { order(id: $id) { id } }', variables: { id: order!.node.id } }),
      });
      const { errors } = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.headers.get('x-cache')).toBe('miss');
    }
  });

  it('tells a client of automatic persisted queries to send the query in full, then answers by hash', async () => {
    const query = '{ products(first: 1) { edges { node { sku } } } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const miss = await raw({ extensions: { persistedQuery: { version: 1, sha256Hash } } });
    expect(miss.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await raw({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } })).errors).toBeUndefined();
    expect((await raw({ extensions: { persistedQuery: { version: 1, sha256Hash } } })).errors).toBeUndefined();
  });

  it.each([
    [
      'a subscription over HTTP',
      { query: 'subscription { orderStatusChanged(orderId: "x") { status } }' },
      'BAD_REQUEST',
    ],
    [
      'two operations without an operation name',
      {
        query:
          'query A { products(first: 1) { edges { node { id } } } } query B { products(first: 1) { edges { node { sku } } } }',
      },
      'OPERATION_RESOLUTION_FAILURE',
    ],
    [
      'an operation name the document lacks',
      { query: 'query A { products(first: 1) { edges { node { id } } } }', operationName: 'B' },
      'OPERATION_RESOLUTION_FAILURE',
    ],
  ])("answers %s as the client's mistake, 400 with its code", async (_what, body, code) => {
    const res = await raw(body);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe(code);
  });
});
