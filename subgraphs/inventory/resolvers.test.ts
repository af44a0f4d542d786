import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, startSubgraphForTest } from '../../runtime/testing.ts';
import { demoCatalog } from './seed.ts';
import { createInventoryService, inventoryMigrations } from './server.ts';

let subgraph: Awaited<ReturnType<typeof startSubgraphForTest>>;
beforeAll(async () => {
  subgraph = await startSubgraphForTest([inventoryMigrations], createInventoryService, { SEED_DEMO_CATALOG: 'true' });
});
afterAll(() => subgraph?.stop());

type Page = {
  products: {
    edges: { cursor: string; node: { sku: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};
const PAGE =
  'query($first: Int, $after: String) { products(first: $first, after: $after) { edges { cursor node { sku } } pageInfo { hasNextPage endCursor } } }';
const lamp = demoCatalog.find((p) => p.sku === 'LAMP-DESK')!;

describe('inventory resolvers', () => {
  it('refuses a request without a token', async () => {
    expect(codeOf(await subgraph.request(PAGE))).toBe('UNAUTHENTICATED');
  });

  it('answers the gateway only: a valid user token sent straight to the subgraph is refused, _service too', async () => {
    const token = await subgraph.token('alice', { admin: true });
    for (const query of [PAGE, '{ _service { sdl } }']) {
      const res = await fetch(subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
        'FORBIDDEN',
      );
    }
  });

  it("applies the gateway's limits itself", async () => {
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `p${i}: products(first: 1) { edges { node { sku } } }`).join(' ')} }`;
    expect(await subgraph.request(aliases, {}, 'alice')).toMatchObject({
      errors: [{ extensions: { code: 'BAD_USER_INPUT', limit: 'maxAliases' } }],
    });
  });

  it('pages through the catalog by sku, each product exactly once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res: { data?: Page | null } = await subgraph.request<Page>(PAGE, { first: 3, after }, 'alice');
      seen.push(...res.data!.products.edges.map((e) => e.node.sku));
      if (!res.data!.products.pageInfo.hasNextPage) break;
      after = res.data!.products.pageInfo.endCursor;
    }
    expect(seen).toEqual(demoCatalog.map((p) => p.sku).sort());
  });

  it.each([
    ['first below 0', { first: -1 }],
    ['first above 100', { first: 101 }],
    ['a cursor that was not issued', { after: 'bm90LWEtY3Vyc29y' }],
  ])('answers %s with BAD_USER_INPUT', async (_name, variables) => {
    expect(codeOf(await subgraph.request(PAGE, variables, 'alice'))).toBe('BAD_USER_INPUT');
  });

  it('returns an empty page for first: 0 and null for an unknown or malformed id', async () => {
    const empty = await subgraph.request<Page>(PAGE, { first: 0 }, 'alice');
    expect(empty.data!.products.edges).toEqual([]);
    const unknown = await subgraph.request<{ product: null }>(
      '{ product(id: "7a1c0e52-0000-4000-8000-00000000dead") { id } }',
      {},
      'alice',
    );
    expect(unknown).toEqual({ data: { product: null } });
    const malformed = await subgraph.request<{ product: null }>('{ product(id: "nope") { id } }', {}, 'alice');
    expect(malformed).toEqual({ data: { product: null } });
  });

  it('shows prices as exact decimals', async () => {
    const res = await subgraph.request<{ product: { price: string } }>(
      'query($id: ID!) { product(id: $id) { price } }',
      { id: lamp.id },
      'alice',
    );
    expect(res.data!.product.price).toBe('39.99');
  });

  it('lets only admins restock, by 1..1,000,000 units', async () => {
    const RESTOCK = 'mutation($id: ID!, $q: Int!) { restockProduct(productId: $id, quantity: $q) { available } }';
    expect(codeOf(await subgraph.request(RESTOCK, { id: lamp.id, q: 5 }, 'alice'))).toBe('FORBIDDEN');
    expect(codeOf(await subgraph.request(RESTOCK, { id: lamp.id, q: 0 }, { admin: 'root' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraph.request(RESTOCK, { id: lamp.id, q: 1_000_001 }, { admin: 'root' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      codeOf(await subgraph.request(RESTOCK, { id: '7a1c0e52-0000-4000-8000-00000000dead', q: 1 }, { admin: 'root' })),
    ).toBe('NOT_FOUND');
    const res = await subgraph.request<{ restockProduct: { available: number } }>(
      RESTOCK,
      { id: lamp.id, q: 5 },
      { admin: 'root' },
    );
    expect(res.data!.restockProduct.available).toBe(lamp.available + 5);
  });

  it('resolves a batch of product references in one request, null for unknown ones', async () => {
    const res = await subgraph.request<{ _entities: ({ sku: string } | null)[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { sku } } }',
      {
        r: [
          { __typename: 'Product', id: demoCatalog[0].id },
          { __typename: 'Product', id: '7a1c0e52-0000-4000-8000-00000000dead' },
          { __typename: 'Product', id: demoCatalog[1].id },
        ],
      },
      'alice',
    );
    expect(res.data!._entities).toEqual([{ sku: demoCatalog[0].sku }, null, { sku: demoCatalog[1].sku }]);
  });
});
