import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, type FieldNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createLogger, createTokenVerifier, devPolicy, signDevToken as sign } from '../kernel/index.ts';
import { createAuthenticator } from './api-keys.ts';
import { fragmentsOf } from './documents.ts';
import type { OrderEventHub, StatusEvent } from './events.ts';
import { type GraphQuery, LiveCloseCode, startLiveSubscriptions } from './live/index.ts';
import { apiSchemaPath } from './schema.ts';

/**
 * The subscription endpoint's bounds and checks, over a real WebSocket, with the event hub and the
 * federated graph replaced by in-memory stand-ins this test controls.
 */
const SECRET = 'live-test-secret-0123456789';
const signDevToken = (customerId: string, options?: Parameters<typeof sign>[2]) =>
  sign(devPolicy(SECRET), customerId, options);
const listeners = new Map<string, Set<(e: StatusEvent) => void>>();
const hub: OrderEventHub = {
  listen(orderId, listener) {
    if (!listeners.has(orderId)) listeners.set(orderId, new Set());
    listeners.get(orderId)!.add(listener);
    return () => listeners.get(orderId)!.delete(listener);
  },
  latest: () => undefined,
  joined: () => true,
  beforeDelivery: () => {},
  close: async () => {},
};
const publish = (
  orderId: string,
  version: number,
  status: StatusEvent['status'] = 'INVENTORY_CONFIRMED',
  customerId = 'alice',
) => {
  const event = { orderId, customerId, status, version, at: new Date().toISOString(), reason: null };
  for (const listener of listeners.get(orderId) ?? []) listener(event);
};
let orderDelayMs = 0;
/** While set, every order read waits for it (a graph that has not answered yet). */
let gate: Promise<void> | undefined;
/** The order reads the endpoint asked the graph for, as of events. */
let orderReads = 0;
const query: GraphQuery = async (document, variables) => {
  const operation = document.definitions[0] as OperationDefinitionNode;
  if (operation.name?.value === 'OrderSnapshot')
    return {
      data: {
        order: {
          customerId: 'alice',
          status: 'PENDING',
          version: 1,
          failureReason: null,
          updatedAt: new Date().toISOString(),
        },
      },
    };
  orderReads++;
  await gate;
  await new Promise((r) => setTimeout(r, orderDelayMs));
  // The batched read `orders(ids: $ids, first: $first) { edges { node { … } } }` per aliased
  // `order` (or one order alone), answered as the graph would, with a newer status than any event
  // of these tests (the graph may already be past the event it is read for). Order 'o-broken' fails
  // on its total, a field that may not be null, as a failing subgraph would.
  const fragments = fragmentsOf(document);
  const answer = (set: SelectionSetNode | undefined, order: Record<string, unknown>): [string, unknown][] =>
    (set?.selections ?? []).flatMap((node) =>
      node.kind === Kind.FIELD
        ? [[node.alias?.value ?? node.name.value, order[node.name.value]] as [string, unknown]]
        : answer(
            node.kind === Kind.INLINE_FRAGMENT ? node.selectionSet : fragments.get(node.name.value)?.selectionSet,
            order,
          ),
    );
  if (operation.name?.value === 'OrderAsOfEvent') {
    // One order on its own (after a batched read failed as a whole).
    const broken = variables.id === 'o-broken';
    const fields = operation.selectionSet.selections as FieldNode[];
    const order = { id: variables.id, totalAmount: '9.99', status: 'COMPLETED', version: 99 };
    return broken
      ? { data: { order: null }, errors: [{ message: 'inventory is down', path: ['order', 'totalAmount'] }] }
      : {
          data: Object.fromEntries(
            fields.map((f) => [f.alias?.value ?? 'order', Object.fromEntries(answer(f.selectionSet, order))]),
          ),
        };
  }
  const ids = variables.ids as string[];
  expect(variables.first).toBe(ids.length);
  const errors: { message: string; path: (string | number)[] }[] = [];
  const data = Object.fromEntries(
    (operation.selectionSet.selections as FieldNode[]).map((f) => {
      expect(f.name.value).toBe('orders');
      const key = f.alias?.value ?? f.name.value;
      const edges = f.selectionSet!.selections[0] as FieldNode;
      const node = (edges.selectionSet!.selections[0] as FieldNode).selectionSet;
      return [
        key,
        {
          edges: ids.map((id, i) => {
            if (id === 'o-broken')
              errors.push({ message: 'inventory is down', path: [key, 'edges', i, 'node', 'totalAmount'] });
            const order = { id, totalAmount: '9.99', status: 'COMPLETED', version: 99 };
            return { node: Object.fromEntries(answer(node, order)) };
          }),
        },
      ];
    }),
  );
  // A field that may not be null failed: null travels up to the non-null list, and the data with it.
  return errors.length ? { data: null, errors } : { data };
};

let server: Server;
let live: ReturnType<typeof startLiveSubscriptions>;
let url: string;
const clients: Client[] = [];
beforeAll(async () => {
  server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  live = startLiveSubscriptions({
    server,
    apiSchema: buildSchema(readFileSync(apiSchemaPath, 'utf8')),
    hub,
    query,
    authenticate: createAuthenticator({
      verifier: createTokenVerifier(devPolicy(SECRET)),
      gatewaySecret: 'g'.repeat(40),
      lookup: async () => null,
    }).authenticate,
    logger: createLogger('silent'),
    maxQueue: 4,
    maxSubscriptionsPerConnection: 2,
    maxConnectionsPerCustomer: 2,
    connectionInitTimeoutMs: 500,
    limits: { maxDepth: 4, maxAliases: 10, maxListSize: 50, maxCost: 5000, introspection: false, maxBodyBytes: 65_536 },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await live.close();
  await new Promise((r) => server.close(r));
});

const connect = async (token: string, onClose?: (code: number, reason: string) => void) => {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: { closed: (e) => onClose?.((e as { code: number }).code, String((e as { reason?: unknown }).reason ?? '')) },
  });
  clients.push(client);
  return client;
};
type Result = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
const watch = (client: Client, orderId: string, selection = 'status version', fragments = '') => {
  const results: Result[] = [];
  const done = new Promise<unknown>((resolve) =>
    client.subscribe(
      {
        query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${selection} } } ${fragments}`,
        variables: { id: orderId },
      },
      { next: (r) => void results.push(r as Result), error: resolve, complete: () => resolve(undefined) },
    ),
  );
  return { results, done };
};
describe('the subscription endpoint', () => {
  it('sends the snapshot, then each newer event, and completes after a final status', async () => {
    const client = await connect(await signDevToken('alice'));
    const { results, done } = watch(client, 'o-1');
    await expect.poll(() => results.length, { interval: 10 }).toBe(1);
    publish('o-1', 1); // already covered by the snapshot
    publish('o-1', 2);
    publish('o-1', 3, 'COMPLETED');
    await done;
    expect(results.map((r) => r.data)).toEqual([
      { orderStatusChanged: { status: 'PENDING', version: 1 } },
      { orderStatusChanged: { status: 'INVENTORY_CONFIRMED', version: 2 } },
      { orderStatusChanged: { status: 'COMPLETED', version: 3 } },
    ]);
    expect(live.count()).toBe(0);
    expect(listeners.get('o-1')?.size ?? 0).toBe(0);
  });

  it('refuses more subscriptions on one connection than allowed', async () => {
    const client = await connect(await signDevToken('alice'));
    const a = watch(client, 'o-2');
    const b = watch(client, 'o-3');
    await expect.poll(() => a.results.length === 1 && b.results.length === 1, { interval: 10 }).toBe(true);
    const c = watch(client, 'o-4');
    const error = (await c.done) as Result['errors'];
    expect(error?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(live.count()).toBe(2);
  });

  it('closes a connection whose client cannot keep up, rather than queueing without bound', async () => {
    let closedWith = 0;
    const client = await connect(await signDevToken('alice'), (code) => (closedWith = code));
    orderDelayMs = 1000;
    const { results } = watch(client, 'o-5', 'status version order { totalAmount }');
    await new Promise((r) => setTimeout(r, 200));
    for (let v = 2; v <= 12; v++) publish('o-5', v);
    await expect.poll(() => closedWith !== 0, { interval: 10 }).toBe(true);
    orderDelayMs = 0;
    expect(closedWith).toBe(LiveCloseCode.SubscriberTooSlow);
    expect(results.length).toBeLessThan(11);
  });

  it('ends a subscription whose token has expired at its next event', async () => {
    const client = await connect(await signDevToken('alice', { expiresIn: '60s' }));
    const { results, done } = watch(client, 'o-6');
    await expect.poll(() => results.length, { interval: 10 }).toBe(1);
    // A minute later by the wall clock (the clock tokens are checked against).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    let errors: Result['errors'];
    try {
      publish('o-6', 2);
      errors = (await done) as Result['errors'];
    } finally {
      vi.useRealTimers();
    }
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(results).toHaveLength(1);
  });

  it('closes a connection with a bad token with 4403 and says why', async () => {
    let closedWith = { code: 0, reason: '' };
    const client = await connect('not-a-token', (code, reason) => (closedWith = { code, reason }));
    const { done } = watch(client, 'o-7');
    await done;
    expect(closedWith).toEqual({ code: 4403, reason: 'The token is invalid' });
    const expired = await connect(
      await signDevToken('alice', { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      (code, reason) => (closedWith = { code, reason }),
    );
    await watch(expired, 'o-7').done;
    expect(closedWith).toEqual({ code: 4403, reason: 'The token has expired' });
  });

  it("reads an event's order once, however many aliases ask for it", async () => {
    const client = await connect(await signDevToken('alice'));
    const { results } = watch(
      client,
      'o-8',
      'version a: order { id totalAmount } b: order { t: totalAmount } c: order { ...F }',
      'fragment F on Order { totalAmount }',
    );
    await expect.poll(() => results.length, { interval: 10 }).toBe(1);
    const before = orderReads;
    publish('o-8', 2);
    await expect.poll(() => results.length, { interval: 10 }).toBe(2);
    expect(orderReads - before).toBe(1);
    expect(results[1]!.data).toEqual({
      orderStatusChanged: {
        version: 2,
        a: { id: 'o-8', totalAmount: '9.99' },
        b: { t: '9.99' },
        c: { totalAmount: '9.99' },
      },
    });
  });

  it("serves the order's own fields as of the event, though the graph answered a newer state", async () => {
    const client = await connect(await signDevToken('grace'));
    const { results } = watch(client, 'o-10', 'version order { status version totalAmount }');
    await expect.poll(() => results.length, { interval: 10 }).toBe(1);
    publish('o-10', 2, 'INVENTORY_CONFIRMED', 'grace');
    await expect.poll(() => results.length, { interval: 10 }).toBe(2);
    expect(results[1]!.data).toEqual({
      orderStatusChanged: {
        version: 2,
        order: { status: 'INVENTORY_CONFIRMED', version: 2, totalAmount: '9.99' },
      },
    });
  });

  it('reads nothing for an order of only the fields the event carries', async () => {
    const client = await connect(await signDevToken('heidi'));
    const { results } = watch(client, 'o-11', 'order { id customerId status version failureReason __typename }');
    await expect.poll(() => results.length, { interval: 10 }).toBe(1);
    const before = orderReads;
    publish('o-11', 2, 'INVENTORY_CONFIRMED', 'heidi');
    await expect.poll(() => results.length, { interval: 10 }).toBe(2);
    expect(orderReads - before).toBe(0);
    expect(results[1]!.data).toEqual({
      orderStatusChanged: {
        order: {
          id: 'o-11',
          customerId: 'heidi',
          status: 'INVENTORY_CONFIRMED',
          version: 2,
          failureReason: null,
          __typename: 'Order',
        },
      },
    });
  });

  it('reads a burst of events of several orders in one query', async () => {
    const client = await connect(await signDevToken('frank'));
    const ids = ['o-12', 'o-13'];
    const watches = ids.map((id) => watch(client, id, 'order { id totalAmount }'));
    await expect.poll(() => watches.every((w) => w.results.length === 1), { interval: 10 }).toBe(true);
    const before = orderReads;
    for (const id of ids) publish(id, 2, 'INVENTORY_CONFIRMED', 'frank');
    await expect.poll(() => watches.every((w) => w.results.length === 2), { interval: 10 }).toBe(true);
    expect(orderReads - before).toBe(1);
    expect(watches.map((w) => w.results[1]!.data)).toEqual(
      ids.map((id) => ({ orderStatusChanged: { order: { id, totalAmount: '9.99' } } })),
    );
  });

  it("reads a burst of one order's events together, before its subscriber has been sent the first", async () => {
    const client = await connect(await signDevToken('ivan'));
    const { results } = watch(client, 'o-16', 'version order { id totalAmount }');
    await expect.poll(() => results.length, { interval: 10 }).toBe(1);
    const before = orderReads;
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    try {
      for (const version of [2, 3, 4]) publish('o-16', version, 'INVENTORY_CONFIRMED', 'ivan');
      // The read for version 2 waits on the graph; those of 3 and 4 are not queued behind it.
      await expect.poll(() => orderReads - before, { interval: 10 }).toBe(1);
    } finally {
      gate = undefined;
      open();
    }
    await expect.poll(() => results.length, { interval: 10 }).toBe(4);
    expect(
      results.slice(1).map((r) => (r.data as { orderStatusChanged: { version: number } }).orderStatusChanged.version),
    ).toEqual([2, 3, 4]);
    expect(orderReads - before).toBe(1);
  });

  it("gives an error on one order's part of a batched read to that order's subscribers alone", async () => {
    const client = await connect(await signDevToken('judy'));
    const ids = ['o-broken', 'o-15'];
    const watches = ids.map((id) => watch(client, id, 'order { id totalAmount }'));
    await expect.poll(() => watches.every((w) => w.results.length === 1), { interval: 10 }).toBe(true);
    const before = live.payloadReads();
    for (const id of ids) publish(id, 2, 'INVENTORY_CONFIRMED', 'judy');
    await expect.poll(() => watches.every((w) => w.results.length === 2), { interval: 10 }).toBe(true);
    const [broken, fine] = watches.map((w) => w.results[1]!);
    expect(broken!.errors?.map((e) => e.message)).toEqual(['inventory is down']);
    expect(broken!.data).toBeNull();
    // One batched read, which failed as a whole; then each order alone.
    expect(live.payloadReads()).toEqual({ batched: before.batched + 1, alone: before.alone + 2 });
    expect(fine!.errors).toBeUndefined();
    expect(fine!.data).toEqual({ orderStatusChanged: { order: { id: 'o-15', totalAmount: '9.99' } } });
  });

  it.each([
    ['a query', 'query { products(first: 1) { edges { node { id } } } }', /Only subscriptions/],
    ['a mutation', 'mutation { cancelOrder(id: "x") { id } }', /Only subscriptions/],
    ['introspection where it is off', 'query { __schema { types { name } } }', /introspection/i],
    [
      'too many aliases, __typename included',
      `subscription { orderStatusChanged(orderId: "o-9") { ${Array.from({ length: 11 }, (_, i) => `t${i}: __typename`).join(' ')} } }`,
      /Aliases limit/,
    ],
    [
      'a document too deep',
      'subscription { orderStatusChanged(orderId: "o-9") { order { items { product { id } } } } }',
      /Depth|depth/,
    ],
    ['a document that does not parse', 'subscription {', /Syntax Error|Expected/],
  ])('refuses %s with BAD_USER_INPUT, as HTTP would', async (what, document, message) => {
    const client = await connect(await signDevToken(`erin-${what}`));
    const errors = (await new Promise((resolve) =>
      client.subscribe({ query: document }, { next: () => {}, error: resolve, complete: () => resolve(undefined) }),
    )) as Result['errors'];
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toMatch(message);
  });

  /** A raw socket, to send what no well-behaved client would. */
  const rawSocket = async () => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return { socket, closed };
  };

  it('closes a socket that sends a frame larger than an HTTP body, before any token is read', async () => {
    const { socket, closed } = await rawSocket();
    socket.send(Buffer.alloc(65_536 + 1, 'a'));
    expect(await closed).toBe(1009); // message too big
  });

  it('closes a socket that never sends connection_init', async () => {
    const { closed } = await rawSocket();
    expect(await closed).toBe(4408); // connection initialisation timeout
  });

  it('caps the connections one customer holds', async () => {
    const codes: number[] = [];
    const held = await Promise.all([1, 2].map(async () => connect(await signDevToken('carol'))));
    const watches = held.map((c, i) => watch(c, `o-cap-${i}`));
    await expect.poll(() => watches.every((w) => w.results.length === 1), { interval: 10 }).toBe(true);
    const third = await connect(await signDevToken('carol'), (code) => codes.push(code));
    await watch(third, 'o-cap-3').done;
    expect(codes).toContain(LiveCloseCode.TooManyConnections);
    // Another customer is not affected.
    const other = watch(await connect(await signDevToken('dave')), 'o-cap-4');
    await expect.poll(() => other.results.length, { interval: 10 }).toBe(1);
  });
});
