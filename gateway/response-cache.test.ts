import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Cache, createMemoryCache } from '../cache/index.ts';
import type { Identity } from '../kernel/index.ts';
import { createResponseCache, type Lookup, type ResponseCache } from './response-cache.ts';
import { apiSchemaPath } from './schema.ts';

const schema = buildSchema(readFileSync(apiSchemaPath, 'utf8'));
const alice: Identity = { customerId: 'alice', roles: [], isAdmin: false };
const bob: Identity = { customerId: 'bob', roles: [], isAdmin: false };
const admin: Identity = { customerId: 'ops', roles: ['admin'], isAdmin: true };

const ONE = 'query One($id: ID!) { order(id: $id) { id status } }';
const PAGE = 'query Page { orders(first: 20) { edges { node { id status } } } }';
const PAGE_WITH_STOCK = '{ orders { edges { node { id items { product { available } } } } } }';
const PLACE = 'mutation { placeOrder(input: {items: [], paymentToken: "t"}) { order { id } } }';
const CANCEL = 'mutation Cancel($id: ID!) { cancelOrder(id: $id) { id } }';

let now: number;
let shared: Cache;
const replica = (store = shared, localBytes = 1_000_000, version = 'v1'): ResponseCache =>
  createResponseCache({
    schema,
    shared: store,
    ttlMs: 30_000,
    volatileTtlMs: 1000,
    localBytes,
    version,
    clock: () => now,
  });

/** Looks an answer up and, on a miss, stores `computed`; answers what the caller got and from where. */
async function read(cache: ResponseCache, query: string, identity: Identity, computed: string, variables?: object) {
  const lookup = await cache.lookup(cache.plan(query, undefined)!, identity, variables as never);
  if (lookup && 'hit' in lookup) return { body: lookup.hit, from: lookup.tier };
  await lookup?.store(computed);
  return { body: computed, from: 'computed' };
}

beforeEach(() => {
  now = 1_000_000;
  shared = createMemoryCache(() => now);
});

describe('the response cache', () => {
  it('serves a kept answer to the same caller, document and variables only', async () => {
    const cache = replica();
    expect(await read(cache, ONE, alice, 'a1', { id: '1' })).toEqual({ body: 'a1', from: 'computed' });
    expect(await read(cache, ONE, alice, 'x', { id: '1' })).toEqual({ body: 'a1', from: 'local' });
    expect(await read(cache, ONE, alice, 'a2', { id: '2' })).toEqual({ body: 'a2', from: 'computed' });
    expect(await read(cache, ONE, bob, 'b1', { id: '1' })).toEqual({ body: 'b1', from: 'computed' });
    expect(await read(cache, ONE, admin, 'o1', { id: '1' })).toEqual({ body: 'o1', from: 'computed' });
    expect(cache.stats()).toMatchObject({ hitsLocal: 1, misses: 4, stored: 4 });
  });

  it("makes an order's answers and its customer's lists stale when its event arrives, and nothing else", async () => {
    const cache = replica();
    await read(cache, ONE, alice, 'order 1', { id: '1' });
    await read(cache, ONE, alice, 'order 2', { id: '2' });
    await read(cache, PAGE, alice, 'alice page');
    await read(cache, PAGE, bob, 'bob page');
    await read(cache, PAGE, admin, 'all orders');
    await cache.orderChanged('1', 'alice');
    expect((await read(cache, ONE, alice, 'order 1 now', { id: '1' })).from).toBe('computed');
    expect((await read(cache, PAGE, alice, 'alice page now')).from).toBe('computed');
    expect((await read(cache, PAGE, admin, 'all orders now')).from).toBe('computed');
    expect((await read(cache, ONE, alice, '', { id: '2' })).from).toBe('local');
    expect((await read(cache, PAGE, bob, '')).from).toBe('local');
  });

  it('never keeps an answer computed across a change: it was made under tokens the change replaced', async () => {
    const cache = replica();
    const lookup = (await cache.lookup(cache.plan(ONE, undefined)!, alice, { id: '1' })) as Lookup;
    await cache.orderChanged('1', 'alice'); // while the answer is being computed
    if ('hit' in lookup) throw new Error('expected a miss');
    await lookup.store('computed before the change');
    expect(await read(cache, ONE, alice, 'after the change', { id: '1' })).toEqual({
      body: 'after the change',
      from: 'computed',
    });
  });

  it('names concurrent misses of one entry alike, and a miss after a change otherwise (it may not share)', async () => {
    const cache = replica();
    const plan = cache.plan(PAGE, undefined)!;
    const flight = async () => {
      const lookup = await cache.lookup(plan, alice, undefined);
      if (!lookup || 'hit' in lookup) throw new Error('expected a miss');
      return lookup.flight;
    };
    const [a, b] = await Promise.all([flight(), flight()]);
    expect(a).toBe(b);
    await cache.orderChanged('1', 'alice');
    expect(await flight()).not.toBe(a);
    expect((await cache.lookup(cache.plan(PAGE, undefined)!, bob, undefined)) as { flight: string }).not.toMatchObject({
      flight: a,
    });
  });

  it('shares answers and changes between replicas: a change seen by one is seen by every one', async () => {
    const [a, b] = [replica(), replica()];
    await read(a, PAGE, alice, 'page');
    expect(await read(b, PAGE, alice, '')).toEqual({ body: 'page', from: 'shared' });
    expect((await read(b, PAGE, alice, '')).from).toBe('local');
    await a.orderChanged('9', 'alice');
    expect(await read(b, PAGE, alice, 'new page')).toEqual({ body: 'new page', from: 'computed' });
    expect(await read(a, PAGE, alice, '')).toEqual({ body: 'new page', from: 'shared' });
  });

  it("makes the caller's lists stale when a mutation succeeded, and the named order", async () => {
    const cache = replica();
    await read(cache, PAGE, alice, 'before');
    await read(cache, ONE, alice, 'order 7', { id: '7' });
    await cache.changed(cache.plan(PLACE, undefined)!, alice, undefined);
    expect((await read(cache, PAGE, alice, 'after')).from).toBe('computed');
    expect((await read(cache, ONE, alice, '', { id: '7' })).from).toBe('local');
    await cache.changed(cache.plan(CANCEL, undefined)!, alice, { id: '7' });
    expect((await read(cache, ONE, alice, 'cancelled', { id: '7' })).from).toBe('computed');
  });

  it('serves answers with stock, payments or sagas for the volatile TTL only, and others for the TTL', async () => {
    const cache = replica();
    await read(cache, PAGE_WITH_STOCK, alice, 'stock');
    await read(cache, PAGE, alice, 'page');
    now += 1001;
    expect((await read(cache, PAGE_WITH_STOCK, alice, 'stock now')).from).toBe('computed');
    expect((await read(cache, PAGE, alice, '')).from).toBe('local');
    now += 30_000;
    expect((await read(cache, PAGE, alice, 'page now')).from).toBe('computed');
  });

  it('misses when the shared store lost its tags (a restarted Redis), even with the answer in memory', async () => {
    let lost = false;
    const forgetful: Cache = {
      ...shared,
      getMany: (keys) => (lost ? Promise.resolve(keys.map(() => null)) : shared.getMany(keys)),
    };
    const cache = replica(forgetful);
    await read(cache, ONE, alice, 'kept', { id: '1' });
    lost = true;
    expect((await read(cache, ONE, alice, 'again', { id: '1' })).from).toBe('computed');
  });

  it('says so when it cannot record a change, and then serves no hit until older answers expired', async () => {
    let failing = false;
    const flaky: Cache = {
      ...shared,
      setMany: (entries, ttl) => (failing ? Promise.resolve(false) : shared.setMany(entries, ttl)),
    };
    const cache = replica(flaky);
    await read(cache, PAGE, bob, 'bob page');
    failing = true;
    expect(await cache.orderChanged('1', 'alice')).toBe(false);
    failing = false;
    expect((await read(cache, PAGE, bob, 'recomputed')).from).toBe('computed');
  });

  it('keeps no more answers in memory than its bytes allow; the rest come from the shared store', async () => {
    const cache = replica(shared, 1000);
    await read(cache, ONE, alice, 'a'.repeat(300), { id: '1' });
    await read(cache, ONE, alice, 'b'.repeat(300), { id: '2' });
    expect(await read(cache, ONE, alice, '', { id: '2' })).toMatchObject({ from: 'local' });
    expect(await read(cache, ONE, alice, '', { id: '1' })).toEqual({ body: 'a'.repeat(300), from: 'shared' });
  });

  it('serves no answer of a deployment with another version, though changes reach both', async () => {
    const [before, after] = [replica(shared, 1_000_000, 'v1'), replica(shared, 1_000_000, 'v2')];
    await read(before, PAGE, alice, 'old schema');
    expect(await read(after, PAGE, alice, 'new schema')).toEqual({ body: 'new schema', from: 'computed' });
    expect((await read(after, PAGE, alice, '')).from).toBe('local');
    await before.orderChanged('1', 'alice');
    expect((await read(after, PAGE, alice, 'new page')).from).toBe('computed');
  });

  it('leaves alone what it cannot cache', () => {
    const cache = replica();
    expect(cache.plan('{ order(id: ', undefined)).toBeUndefined();
    expect(cache.plan('subscription { orderStatusChanged(orderId: "1") { status } }', undefined)).toBeUndefined();
    expect(cache.plan('query A { orders { edges { cursor } } } query B { __typename }', undefined)).toBeUndefined();
    expect(cache.plan('{ ...Missing }', undefined)).toBeUndefined();
    expect(cache.plan('{ __schema { types { name } } }', undefined)).toBeUndefined();
    expect(cache.plan('query A { orders { edges { cursor } } } query B { __typename }', 'B')).toMatchObject({
      operation: 'query',
      volatile: false,
    });
    expect(cache.plan(PLACE, undefined)).toMatchObject({ operation: 'mutation' });
  });

  it('does not cache an order read without an id it can name', async () => {
    const cache = replica();
    expect(await cache.lookup(cache.plan(ONE, undefined)!, alice, {})).toBeUndefined();
    expect(cache.stats().uncacheable).toBe(1);
  });
});
