import { spawn } from 'node:child_process';
import path from 'node:path';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/index.ts';
import { DEVELOPMENT_JWT_SECRET } from '../../kernel/index.ts';
import { codeOf, count, MUG, NOTEBOOK, PLACE, post, system, useProductionSystem } from './support.ts';

/**
 * Who may do what, against the system as production runs it: secrets and modes, the claims a
 * token must carry, subgraphs that answer the gateway only, API keys and the audit log. Each case
 * asserts the coded answer and that nothing was written.
 */
const root = path.resolve(import.meta.dirname, '..', '..');
useProductionSystem('security-identity');

describe('secrets and modes', () => {
  /** `npm start` in production with the given JWT_SECRET: its exit code and what it printed. */
  const startProduction = (secret: string | undefined) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          NODE_ENV: 'production',
          GATEWAY_PORT: '0',
          ORDER_PORT: '0',
          INVENTORY_PORT: '0',
          PAYMENT_PORT: '0',
          ...(secret ? { JWT_SECRET: secret } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      // A process that does not refuse to start is stopped, and the test fails on its exit code.
      const stop = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(stop);
        resolve({ code, output });
      });
    });

  it.each([
    ['no secret', undefined, /JWT_SECRET: is required in production/],
    ['the public development secret', DEVELOPMENT_JWT_SECRET, /JWT_SECRET: is a public development value/],
  ])(
    'refuses to start in production with %s, naming JWT_SECRET, and prints no token',
    async (_what, secret, message) => {
      const { code, output } = await startProduction(secret);
      expect(code).not.toBe(0);
      expect(output).toMatch(message);
      expect(output).not.toMatch(/Demo token|Admin token/);
    },
  );

  it('refuses an admin token signed offline with the public development secret', async () => {
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer('sagaway')
      .setAudience('sagaway-api')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
    const before = await count('inventory.products', `available > 900000`);
    const res = await post(
      { query: `mutation { restockProduct(productId: "${NOTEBOOK}", quantity: 1000000) { available } }` },
      { bearer: forged },
    );
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(await count('inventory.products', `available > 900000`)).toBe(before);
  });
});

describe('tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ sub: 'alice', iss: 'sagaway', aud: 'sagaway-api', iat: now(), exp: now() + 600 });
  const asks = (bearer: string) => post({ query: '{ products(first: 1) { edges { node { id } } } }' }, { bearer });

  it('accepts a token with every claim it requires', async () => {
    expect((await asks(await system.signClaims(claims()))).body.errors).toBeUndefined();
  });

  it.each([
    ['without exp', () => ({ ...claims(), exp: undefined })],
    ['with a 100-year exp', () => ({ ...claims(), exp: now() + 100 * 365 * 86_400 })],
    ['for another issuer', () => ({ ...claims(), iss: 'https://elsewhere.example' })],
    ['for another audience', () => ({ ...claims(), aud: 'another-api' })],
  ])('refuses a token %s, signed with the right secret', async (_what, make) => {
    const body = Object.fromEntries(Object.entries(make()).filter(([, v]) => v !== undefined));
    expect(codeOf(await asks(await system.signClaims(body)))).toBe('UNAUTHENTICATED');
  });
});

describe('the subgraphs', () => {
  it('answer the gateway only: a customer token sent straight to a subgraph port, or _service, is refused', async () => {
    for (const name of ['order', 'inventory', 'payment'] as const) {
      const url = `${system.serviceUrl(name)}/graphql`;
      for (const query of ['{ _service { sdl } }', '{ __typename }']) {
        const res = await post({ query }, { url });
        expect(res.status).toBe(403);
        expect(codeOf(res)).toBe('FORBIDDEN');
      }
    }
    const res = await post(
      { query: PLACE, variables: { input: { items: [{ productId: MUG, quantity: 1 }], paymentToken: 'tok_visa' } } },
      { url: `${system.serviceUrl('order')}/graphql` },
    );
    expect(res.status).toBe(403);
    expect(await count('orders.orders', `customer_id = 'alice'`)).toBe(0);
  });
});

describe('API keys and the audit log', () => {
  const CREATE = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }';
  const AUDIT =
    'query($action: String, $apiKeyId: ID) { auditLog(first: 20, action: $action, apiKeyId: $apiKeyId) { edges { node { actor actorKind apiKeyId action target } } } }';
  const ORDERS = '{ orders(first: 5) { edges { node { customerId } } } }';
  const withKey = (key: string, body: unknown, url = system.gatewayUrl) =>
    post(body, { bearer: null, url, headers: { 'x-api-key': key } });
  let admin: string;
  beforeAll(async () => {
    admin = await system.token('ops', { admin: true });
  });
  const createKey = async (customerId: string, scopes: string[]) => {
    const created = await post(
      { query: CREATE, variables: { input: { customerId, name: 'integration', scopes } } },
      { bearer: admin },
    );
    expect(created.body.errors).toBeUndefined();
    return created.body.data!.createApiKey as { key: string; apiKey: { id: string } };
  };

  it('a READ key reads and changes nothing; a PLACE_ORDERS key places for its customer, on record with the key', async () => {
    const reader = await createKey('machine-reader', ['READ']);
    const read = await withKey(reader.key, { query: ORDERS });
    expect(read.body.errors).toBeUndefined();
    const refused = await withKey(reader.key, {
      query: PLACE,
      variables: { input: { items: [{ productId: MUG, quantity: 1 }], paymentToken: 'tok_visa' } },
    });
    expect(refused.status).toBe(403);
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(await count('orders.orders', `customer_id = 'machine-reader'`)).toBe(0);

    const buyer = await createKey('machine-buyer', ['PLACE_ORDERS']);
    const placed = await withKey(buyer.key, {
      query: PLACE,
      variables: { input: { items: [{ productId: MUG, quantity: 1 }], paymentToken: 'tok_visa' } },
    });
    expect(placed.body.errors).toBeUndefined();
    const orderId = (placed.body.data!.placeOrder as { order: { id: string } }).order.id;
    expect(await count('orders.orders', `id = '${orderId}' and customer_id = 'machine-buyer'`)).toBe(1);
    const audit = await post({ query: AUDIT, variables: { apiKeyId: buyer.apiKey.id } }, { bearer: admin });
    expect((audit.body.data!.auditLog as { edges: { node: unknown }[] }).edges.map((e) => e.node)).toEqual([
      {
        actor: 'machine-buyer',
        actorKind: 'API_KEY',
        apiKeyId: buyer.apiKey.id,
        action: 'order.placed',
        target: `order:${orderId}`,
      },
    ]);
    // Stored as a digest: the key is nowhere in the database.
    expect(await count('access.api_keys', `digest = '${buyer.key}' or prefix = '${buyer.key}'`)).toBe(0);
  });

  it('a key revoked through one gateway replica stops working on every replica, long before any cache forgets it', async () => {
    const { key, apiKey } = await createKey('machine-revoked', ['READ']);
    const [first, second] = system.gatewayUrls();
    // Both replicas have looked the key up and remember it.
    for (const url of [first!, second!])
      expect((await withKey(key, { query: ORDERS }, url)).body.errors).toBeUndefined();
    const revoked = await post(
      { query: 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', variables: { id: apiKey.id } },
      { bearer: admin, url: first! },
    );
    expect(revoked.body.errors).toBeUndefined();
    for (const url of [first!, second!]) {
      await waitFor(
        () => withKey(key, { query: ORDERS }, url),
        (a) => codeOf(a) === 'UNAUTHENTICATED',
        { what: `the revocation to reach ${url}` },
      );
    }
  });

  it('records an admin’s restock, sent by inventory through Kafka, and is for admins only', async () => {
    const restock = await post(
      {
        query: 'mutation($id: ID!) { restockProduct(productId: $id, quantity: 3) { id } }',
        variables: { id: NOTEBOOK },
      },
      { bearer: admin },
    );
    expect(restock.body.errors).toBeUndefined();
    const entries = await waitFor(
      async () =>
        (await post({ query: AUDIT, variables: { action: 'product.restocked' } }, { bearer: admin })).body.data
          ?.auditLog as { edges: { node: Record<string, unknown> }[] } | undefined,
      (log) => (log?.edges.length ?? 0) > 0,
      { what: 'the restock in the audit log' },
    );
    expect(entries!.edges[0]!.node).toEqual({
      actor: 'ops',
      actorKind: 'ADMIN',
      apiKeyId: null,
      action: 'product.restocked',
      target: `product:${NOTEBOOK}`,
    });
    expect(codeOf(await post({ query: AUDIT }))).toBe('FORBIDDEN');
    expect(
      codeOf(
        await post({ query: CREATE, variables: { input: { customerId: 'alice', name: 'mine', scopes: ['READ'] } } }),
      ),
    ).toBe('FORBIDDEN');
  });
});
