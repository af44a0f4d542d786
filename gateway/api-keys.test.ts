import { createClient as createSocketClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type Database, rowsOf } from '../db/index.ts';
import { demoCatalog } from '../harness/index.ts';
import { devPolicy, signDevToken } from '../kernel/index.ts';
import { startEmbeddedForTest } from '../system/testing.ts';

/**
 * API keys and the audit log through the whole graph in one process (PGlite, in-process transport):
 * an admin creates a key, a machine client uses it within its scopes, the admin revokes it, and
 * every admin action and every change made with a key is in the audit log.
 */
const JWT_SECRET = 'api-key-test-secret-0123456789abcdef';
const GATEWAY_SECRET = 'api-key-test-gateway-secret-0123456789';
const policy = devPolicy(JWT_SECRET);
let system: Awaited<ReturnType<typeof startEmbeddedForTest>>;
let database: Database;
let admin: string;
const [widget] = demoCatalog;

// biome-ignore lint/suspicious/noExplicitAny: the tests read answers of many shapes field by field
type Data = Record<string, any>;
type Result<T = Data> = {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

async function post<T = Data>(
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<Result<T>> {
  const response = await fetch(system.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<Result<T>, 'status'>) };
}
const asAdmin = (query: string, variables: Record<string, unknown> = {}) =>
  post(query, variables, { authorization: `Bearer ${admin}` });
const withKey = (key: string, query: string, variables: Record<string, unknown> = {}) =>
  post(query, variables, { 'x-api-key': key });
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.code;
const rows = async (sql: string) => rowsOf<Record<string, unknown>>(await database.db.execute(sql));
const count = async (table: string) => Number((await rows(`select count(*)::int as n from ${table}`))[0]!.n);

const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id prefix customerId scopes createdBy revokedAt } } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id customerId } } }`;
const ORDERS = `{ orders(first: 50) { edges { node { id customerId } } } }`;
const AUDIT = `query($action: String, $apiKeyId: ID) { auditLog(first: 50, action: $action, apiKeyId: $apiKeyId) { edges { node { actor actorKind apiKeyId action target details correlationId } } } }`;

async function createKey(customerId: string, scopes: string[]): Promise<{ key: string; id: string }> {
  const created = await asAdmin(CREATE, { input: { customerId, name: `${customerId} integration`, scopes } });
  expect(created.errors).toBeUndefined();
  return { key: created.data!.createApiKey.key, id: created.data!.createApiKey.apiKey.id };
}

beforeAll(async () => {
  system = await startEmbeddedForTest({ JWT_SECRET, GATEWAY_SECRET });
  database = system.database;
  admin = await signDevToken(policy, 'root', { admin: true });
});
afterAll(() => system?.stop());

describe('API keys', () => {
  it('are created by admins only, shown once and stored as a digest', async () => {
    const customer = await signDevToken(policy, 'mallory');
    const refused = await post(
      CREATE,
      { input: { customerId: 'mallory', name: 'mine', scopes: ['READ'] } },
      { authorization: `Bearer ${customer}` },
    );
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(await count('access.api_keys')).toBe(0);

    const { key, id } = await createKey('acme', ['READ']);
    expect(key).toMatch(/^sgw_[A-Za-z0-9_-]{43}$/);
    const [stored] = await rows(`select * from access.api_keys where id = '${id}'`);
    expect(JSON.stringify(stored)).not.toContain(key.slice(4));
    expect(stored!.prefix).toBe(key.slice(0, 12));
    // Listing shows the prefix, never the key.
    const listed = await asAdmin(`{ apiKeys(customerId: "acme") { edges { node { id prefix scopes } } } }`);
    expect(listed.data!.apiKeys.edges).toEqual([{ node: { id, prefix: key.slice(0, 12), scopes: ['READ'] } }]);
  });

  it('refuses bad input with a coded error and writes nothing', async () => {
    const before = await count('access.api_keys');
    for (const input of [
      { customerId: 'acme', name: 'x', scopes: [] },
      { customerId: 'acme', name: '', scopes: ['READ'] },
      { customerId: 'acme', name: 'bad\u0000name', scopes: ['READ'] },
      { customerId: 'acme', name: 'past', scopes: ['READ'], expiresAt: '2001-01-01T00:00:00Z' },
    ]) {
      expect(codeOf(await asAdmin(CREATE, { input }))).toBe('BAD_USER_INPUT');
    }
    expect(await count('access.api_keys')).toBe(before);
  });

  it('let a READ key read its customer’s orders only, and change nothing', async () => {
    const acmeToken = await signDevToken(policy, 'acme-reader');
    const placed = await post(
      PLACE,
      { input: { items: [{ productId: widget!.id, quantity: 1 }], paymentToken: 'tok_visa' } },
      { authorization: `Bearer ${acmeToken}` },
    );
    await post(
      PLACE,
      { input: { items: [{ productId: widget!.id, quantity: 1 }], paymentToken: 'tok_visa' } },
      { authorization: `Bearer ${await signDevToken(policy, 'someone-else')}` },
    );
    const { key } = await createKey('acme-reader', ['READ']);

    const read = await withKey(key, ORDERS);
    expect(read.errors).toBeUndefined();
    expect(read.data!.orders.edges.map((e: { node: { id: string; customerId: string } }) => e.node)).toEqual([
      { id: placed.data!.placeOrder.order.id, customerId: 'acme-reader' },
    ]);

    const orders = await count('orders.orders');
    const refused = await withKey(key, PLACE, {
      input: { items: [{ productId: widget!.id, quantity: 1 }], paymentToken: 'tok_visa' },
    });
    expect(refused.status).toBe(403);
    expect(codeOf(refused)).toBe('FORBIDDEN');
    const cancel = await withKey(key, `mutation($id: ID!) { cancelOrder(id: $id) { id } }`, {
      id: placed.data!.placeOrder.order.id,
    });
    expect(codeOf(cancel)).toBe('FORBIDDEN');
    expect(await count('orders.orders')).toBe(orders);
  });

  it('let a PLACE_ORDERS key place orders for its customer, each on record with the key', async () => {
    const { key, id } = await createKey('acme-buyer', ['PLACE_ORDERS']);
    const placed = await withKey(key, PLACE, {
      input: { items: [{ productId: widget!.id, quantity: 2 }], paymentToken: 'tok_visa', idempotencyKey: 'k1' },
    });
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder.order.customerId).toBe('acme-buyer');
    const audit = await asAdmin(AUDIT, { apiKeyId: id });
    expect(audit.data!.auditLog.edges.map((e: { node: unknown }) => e.node)).toEqual([
      expect.objectContaining({
        actor: 'acme-buyer',
        actorKind: 'API_KEY',
        apiKeyId: id,
        action: 'order.placed',
        target: `order:${placed.data!.placeOrder.order.id}`,
      }),
    ]);
    // A key is never an admin.
    expect(
      codeOf(
        await withKey(key, `mutation($id: ID!) { restockProduct(productId: $id, quantity: 5) { id } }`, {
          id: widget!.id,
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(codeOf(await withKey(key, AUDIT))).toBe('FORBIDDEN');
  });

  it('refuses a malformed or unknown key, and a key sent together with a token', async () => {
    expect(codeOf(await withKey('not-a-key', ORDERS))).toBe('UNAUTHENTICATED');
    expect(codeOf(await withKey(`sgw_${'A'.repeat(43)}`, ORDERS))).toBe('UNAUTHENTICATED');
    const { key } = await createKey('acme-both', ['READ']);
    const both = await post(ORDERS, {}, { 'x-api-key': key, authorization: `Bearer ${admin}` });
    expect(codeOf(both)).toBe('UNAUTHENTICATED');
  });

  it('stop working on revocation, over HTTP and on an open subscription', async () => {
    const { key, id } = await createKey('acme-revoked', ['PLACE_ORDERS']);
    const placed = await withKey(key, PLACE, {
      input: { items: [{ productId: widget!.id, quantity: 1 }], paymentToken: 'tok_timeout' },
    });
    const orderId = placed.data!.placeOrder.order.id;
    const events: { version: number }[] = [];
    let failure: unknown;
    const socket = createSocketClient({
      url: system.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { apiKey: key },
      retryAttempts: 0,
    });
    socket.subscribe<{ orderStatusChanged: { version: number } }>(
      { query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { version } }`, variables: { id: orderId } },
      {
        next: (m) => m.data && events.push(m.data.orderStatusChanged),
        error: (e) => (failure = e),
        complete: () => {},
      },
    );
    await expect.poll(() => events.length, { interval: 20 }).toBe(1);

    const revoked = await asAdmin(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt revokedBy } }`, { id });
    expect(revoked.data!.revokeApiKey).toMatchObject({ id, revokedBy: 'root' });
    // The revocation reaches the gateway.
    await expect.poll(async () => codeOf(await withKey(key, ORDERS)), { interval: 20 }).toBe('UNAUTHENTICATED');
    // Revoking again changes nothing.
    const again = await asAdmin(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id });
    expect(again.data!.revokeApiKey.revokedAt).toBe(revoked.data!.revokeApiKey.revokedAt);

    // The next event of the order is not delivered to the revoked key.
    await asAdmin(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: orderId });
    await expect.poll(() => failure, { interval: 20 }).toBeDefined();
    expect(events).toHaveLength(1);
    expect(JSON.stringify(failure)).toContain('UNAUTHENTICATED');
    await socket.dispose();
  });
});

describe('the audit log', () => {
  it('records who restocked (from inventory, through its outbox), cancelled others’ orders and managed keys', async () => {
    const restocked = await post(
      `mutation($id: ID!) { restockProduct(productId: $id, quantity: 7) { id } }`,
      { id: widget!.id },
      { authorization: `Bearer ${admin}`, 'x-correlation-id': 'restock-1' },
    );
    expect(restocked.errors).toBeUndefined();
    // The restock reaches the audit log through inventory's outbox.
    const entries = await vi.waitFor(
      async () => {
        const found = (await asAdmin(AUDIT, { action: 'product.restocked' })).data!.auditLog.edges;
        expect(found).toHaveLength(1);
        return found as { node: Record<string, unknown> }[];
      },
      { timeout: 5000, interval: 20 },
    );
    expect(entries[0]!.node).toMatchObject({
      actor: 'root',
      actorKind: 'ADMIN',
      apiKeyId: null,
      target: `product:${widget!.id}`,
      correlationId: 'restock-1',
    });
    expect(JSON.parse(entries[0]!.node.details as string)).toMatchObject({ quantity: 7 });

    const all = (await asAdmin(AUDIT)).data!.auditLog.edges.map((e: { node: { action: string } }) => e.node.action);
    expect(all).toEqual(
      expect.arrayContaining([
        'apiKey.created',
        'apiKey.revoked',
        'order.cancelled',
        'order.placed',
        'product.restocked',
      ]),
    );
  });

  it('is for admins only', async () => {
    const customer = await signDevToken(policy, 'curious');
    expect(codeOf(await post(AUDIT, {}, { authorization: `Bearer ${customer}` }))).toBe('FORBIDDEN');
  });
});
