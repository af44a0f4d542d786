import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createReadModel } from '../../cache/index.ts';
import type { IncomingMessage } from '../../messaging/index.ts';
import { codeOf } from '../../runtime/testing.ts';
import { createOrderSagaEngine } from './saga-host.ts';
import { warmOrderViews } from './server.ts';
import { orders } from './tables.ts';
import { BOOK, input, type OrderSubgraph, PLACE, type Placed, startOrderSubgraph } from './testing.ts';
import type { OrderView } from './views.ts';

/** Keyset paging of a customer's orders (and everyone's, for admins), and warming the read model. */
let subgraph: OrderSubgraph;
beforeAll(async () => {
  subgraph = await startOrderSubgraph([] as IncomingMessage[]);
});
afterAll(() => subgraph?.stop());

describe('paging through orders', () => {
  const ORDERS =
    'query($first: Int, $after: String, $status: OrderStatus) { orders(first: $first, after: $after, status: $status) { edges { cursor node { id customerId status } } pageInfo { hasNextPage endCursor } } }';
  type Page = {
    orders: {
      edges: { node: { id: string; customerId: string; status: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
  const expected: { id: string; createdAt: Date; customerId: string; status: 'COMPLETED' | 'FAILED' }[] = [];

  beforeAll(async () => {
    // 1,000 orders of one customer and 50 of another; groups of five share a timestamp, so the id breaks ties.
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const rows = Array.from({ length: 1050 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      customerId: i < 1000 ? 'pager' : 'other-pager',
      status: (i % 3 === 0 ? 'FAILED' : 'COMPLETED') as 'COMPLETED' | 'FAILED',
      totalCents: 100,
      currency: 'USD',
      version: 1,
      createdAt: new Date(base + Math.floor(i / 5) * 1000),
      updatedAt: new Date(base),
    }));
    await subgraph.deps.db.insert(orders).values(rows);
    expected.push(
      ...rows
        .filter((r) => r.customerId === 'pager')
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)),
    );
  });

  const pageThrough = async (as: string | { admin: string }, variables: Record<string, unknown>) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res: { data?: Page | null; errors?: unknown } = await subgraph.request<Page>(
        ORDERS,
        { ...variables, after },
        as,
      );
      expect(res.errors).toBeUndefined();
      seen.push(...res.data!.orders.edges.map((e) => e.node.id));
      if (!res.data!.orders.pageInfo.hasNextPage) return { seen, pages: pages + 1 };
      after = res.data!.orders.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  };

  it('sees each of 1,000 orders exactly once, newest first, a page of 100 at a time', async () => {
    const { seen, pages } = await pageThrough('pager', { first: 100 });
    expect(pages).toBe(10);
    expect(seen).toEqual(expected.map((o) => o.id));
  });

  it('filters by status, and shows admins everyone’s orders', async () => {
    const failed = await pageThrough('pager', { first: 100, status: 'FAILED' });
    expect(failed.seen).toEqual(expected.filter((o) => o.status === 'FAILED').map((o) => o.id));
    const all = await pageThrough({ admin: 'root' }, { first: 100 });
    expect(all.seen.filter((id) => id.startsWith('00000000-0000-4000-8000-'))).toHaveLength(1050);
  });

  it('answers first: 0 with no edges, and first outside 0..100 or a forged cursor with BAD_USER_INPUT', async () => {
    const empty = await subgraph.request<Page>(ORDERS, { first: 0 }, 'pager');
    expect(empty.data!.orders).toEqual({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    expect(codeOf(await subgraph.request(ORDERS, { first: 101 }, 'pager'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraph.request(ORDERS, { first: -1 }, 'pager'))).toBe('BAD_USER_INPUT');
    expect(
      codeOf(await subgraph.request(ORDERS, { after: Buffer.from('{"id":1}').toString('base64url') }, 'pager')),
    ).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraph.request(ORDERS, { after: '%%%' }, 'pager'))).toBe('BAD_USER_INPUT');
  });

  it('warms the read model with the newest orders that have a saga', async () => {
    const placed = await subgraph.request<Placed>(PLACE, input([{ productId: BOOK, quantity: 1 }]), 'warm');
    const id = placed.data!.placeOrder.order.id;
    const views = createReadModel<OrderView>(createMemoryCache(), 'order', 60);
    await warmOrderViews(subgraph.deps.db, createOrderSagaEngine({ deadlineMs: 1000, backoffMs: 10 }), views, 5);
    expect((await views.get(id))?.order.id).toBe(id);
  });

  it('keeps only the orders `ids` names that the caller may see, newest first, within the page', async () => {
    const IDS =
      'query($ids: [ID!], $first: Int, $status: OrderStatus) { orders(ids: $ids, first: $first, status: $status) { edges { node { id } } pageInfo { hasNextPage } } }';
    type Listed = { orders: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean } } };
    const idsOf = (res: { data?: Listed | null }) => res.data!.orders.edges.map((e) => e.node.id);
    const mine = [expected[900]!, expected[3]!, expected[400]!];
    const foreign = '00000000-0000-4000-8000-000000001020'; // other-pager's
    const asked = [...mine.map((o) => o.id), foreign, 'not-a-uuid', '00000000-0000-4000-8000-999999999999'];
    // Newest first, whatever order they were asked in; another customer's and unknown ids left out.
    expect(idsOf(await subgraph.request<Listed>(IDS, { ids: asked }, 'pager'))).toEqual(
      [expected[3]!, expected[400]!, expected[900]!].map((o) => o.id),
    );
    // An admin sees the other customer's too; paging and status filters still apply.
    expect(idsOf(await subgraph.request<Listed>(IDS, { ids: asked }, { admin: 'root' }))).toHaveLength(4);
    const firstTwo = await subgraph.request<Listed>(IDS, { ids: asked, first: 2 }, 'pager');
    expect(idsOf(firstTwo)).toEqual([expected[3]!.id, expected[400]!.id]);
    expect(firstTwo.data!.orders.pageInfo.hasNextPage).toBe(true);
    const failedOnes = mine.filter((o) => o.status === 'FAILED').map((o) => o.id);
    expect(idsOf(await subgraph.request<Listed>(IDS, { ids: asked, status: 'FAILED' }, 'pager')).sort()).toEqual(
      failedOnes.sort(),
    );
    expect(idsOf(await subgraph.request<Listed>(IDS, { ids: [] }, 'pager'))).toEqual([]);
    // More than a page's worth of ids is refused, as first is.
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect(codeOf(await subgraph.request(IDS, { ids: many }, 'pager'))).toBe('BAD_USER_INPUT');
  });

  it('shows a customer with no orders an empty page', async () => {
    const res = await subgraph.request<Page>(ORDERS, {}, 'nobody');
    expect(res.data!.orders).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});
