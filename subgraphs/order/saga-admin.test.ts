import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../messaging/index.ts';
import { createEnvelope, decode, encode, topics } from '../../messaging/index.ts';
import { codeOf } from '../../runtime/testing.ts';
import { BOOK, input, type OrderSubgraph, PLACE, type Placed, startOrderSubgraph } from './testing.ts';

/** An operator finding and repairing sagas through the order subgraph (PGlite, the in-process transport). */
let subgraph: OrderSubgraph;
const commands: IncomingMessage[] = [];
const since = new Date(Date.now() - 1000).toISOString();
beforeAll(async () => {
  subgraph = await startOrderSubgraph(commands);
});
afterAll(() => subgraph?.stop());

const ADMIN = { admin: 'ops' };
const SAGA = 'id orderId status currentStep failureReason cancelled definitionVersion steps { name status attempts }';
const SAGAS = `query($first: Int, $after: String, $status: SagaStatus, $step: String, $startedAfter: DateTime) {
  sagas(first: $first, after: $after, status: $status, step: $step, startedAfter: $startedAfter) {
    edges { cursor node { ${SAGA} order { id customerId } } } pageInfo { hasNextPage endCursor } } }`;
const COMPENSATE = `mutation($orderId: ID!, $reason: String) { compensateSaga(orderId: $orderId, reason: $reason) {
  id status saga { ${SAGA} } } }`;
const RETRY_ALL = `mutation($filter: SagaFilter!, $limit: Int) { retrySagas(filter: $filter, limit: $limit) {
  retried hasMore sagas { ${SAGA} } } }`;
const AUDIT = `query($action: String) { auditLog(first: 50, action: $action) { edges { node { actor action target details } } } }`;

type Saga = { id: string; orderId: string; status: string; currentStep: string | null; failureReason: string | null };
type Page = {
  sagas: { edges: { cursor: string; node: Saga }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
};

const place = async (customer: string) =>
  (await subgraph.request<Placed>(PLACE, input([{ productId: BOOK, quantity: 1 }]), customer)).data!.placeOrder.order;

const sentFor = (orderId: string, type: string) =>
  commands.filter((m) => m.key === orderId && decode(m).type === type).length;

/** What inventory would answer to the saga's step for this order. */
async function reply(orderId: string, step: string, outcome: 'SUCCEEDED' | 'FAILED', reason?: string) {
  const saga = (await subgraph.request<{ order: { saga: { id: string } } }>(
    `query($id: ID!) { order(id: $id) { saga { id } } }`,
    { id: orderId },
    ADMIN,
  ))!.data!.order.saga;
  await subgraph.deps.transport.publish(topics.sagaReplies, [
    encode(
      createEnvelope(
        'SagaStepReplied',
        orderId,
        outcome === 'SUCCEEDED'
          ? { sagaId: saga.id, step, outcome }
          : { sagaId: saga.id, step, outcome, failure: { reason: reason ?? 'failed', retriable: false } },
        { correlationId: 'test', causationId: null },
      ),
    ),
  ]);
}

const sagaOf = async (orderId: string) =>
  (await subgraph.request<{ order: { status: string; failureReason: string | null; saga: Saga } }>(
    `query($id: ID!) { order(id: $id) { status failureReason saga { ${SAGA} } } }`,
    { id: orderId },
    ADMIN,
  ))!.data!.order;

describe('finding sagas', () => {
  it('lists sagas newest first, a page at a time, with each saga’s order', async () => {
    const placed = [await place('ann'), await place('bob'), await place('cid')];
    const seen: Saga[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await subgraph.request<Page>(SAGAS, { first: 2, after, startedAfter: since }, ADMIN)).data!.sagas;
      seen.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.map((s) => s.orderId)).toEqual(placed.map((o) => o.id).reverse());
    expect(seen[0]).toMatchObject({ status: 'RUNNING', currentStep: 'reserveInventory', definitionVersion: 1 });
    const first = (await subgraph.request<Page>(SAGAS, { first: 1, startedAfter: since }, ADMIN)).data!.sagas;
    expect(first.edges[0]!.node).toMatchObject({ order: { id: placed[2]!.id, customerId: 'cid' } });
  });

  it('narrows by status and step, and counts by status', async () => {
    const placed = await place('dee');
    const running = await subgraph.request<Page>(
      SAGAS,
      { status: 'RUNNING', step: 'reserveInventory', startedAfter: since, first: 100 },
      ADMIN,
    );
    expect(running.data!.sagas.edges.map((e) => e.node.orderId)).toContain(placed.id);
    const elsewhere = await subgraph.request<Page>(SAGAS, { step: 'chargePayment', startedAfter: since }, ADMIN);
    expect(elsewhere.data!.sagas.edges).toEqual([]);
    const stuck = await subgraph.request<Page>(SAGAS, { status: 'STUCK', startedAfter: since }, ADMIN);
    expect(stuck.data!.sagas.edges).toEqual([]);

    const counts = await subgraph.request<{ sagaCounts: { status: string; count: number }[] }>(
      `query($since: DateTime) { sagaCounts(startedAfter: $since) { status count } }`,
      { since },
      ADMIN,
    );
    const running_ = running.data!.sagas.edges.length;
    expect(counts.data!.sagaCounts).toEqual(
      expect.arrayContaining([
        { status: 'RUNNING', count: running_ },
        { status: 'STUCK', count: 0 },
        { status: 'COMPLETED', count: 0 },
      ]),
    );
  });

  it('is for admins only', async () => {
    for (const query of [SAGAS, `{ sagaCounts { status count } }`, `{ saga(id: "${crypto.randomUUID()}") { id } }`])
      expect(codeOf(await subgraph.request(query, {}, 'alice'))).toBe('FORBIDDEN');
    const bad = await subgraph.request(SAGAS, { after: 'not-a-cursor' }, ADMIN);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  });
});

describe('repairing sagas', () => {
  it('forces a running saga to compensate, leaves it STUCK when the undo fails, and resumes it in bulk', async () => {
    const order = await place('eve');
    const forced = await subgraph.request<{ compensateSaga: { saga: Saga } }>(
      COMPENSATE,
      { orderId: order.id, reason: 'Held by the fraud team' },
      ADMIN,
    );
    expect(forced.errors).toBeUndefined();
    expect(forced.data!.compensateSaga.saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: 'releaseInventory',
      failureReason: 'Held by the fraud team',
      cancelled: false,
    });
    await expect.poll(() => sentFor(order.id, 'ReleaseInventory')).toBe(1);
    // Already compensating: nothing to force.
    expect(codeOf(await subgraph.request(COMPENSATE, { orderId: order.id }, ADMIN))).toBe('BAD_USER_INPUT');

    await reply(order.id, 'releaseInventory', 'FAILED', 'The stock could not be released');
    await expect.poll(async () => (await sagaOf(order.id)).saga.status).toBe('STUCK');
    const stuck = await subgraph.request<Page>(SAGAS, { status: 'STUCK', startedAfter: since }, ADMIN);
    expect(stuck.data!.sagas.edges.map((e) => e.node.orderId)).toEqual([order.id]);

    const retried = await subgraph.request<{ retrySagas: { retried: number; hasMore: boolean; sagas: Saga[] } }>(
      RETRY_ALL,
      { filter: { status: 'STUCK', startedAfter: since } },
      ADMIN,
    );
    expect(retried.data!.retrySagas).toMatchObject({ retried: 1, hasMore: false });
    expect(retried.data!.retrySagas.sagas).toMatchObject([{ orderId: order.id, status: 'COMPENSATING' }]);
    await expect.poll(() => sentFor(order.id, 'ReleaseInventory')).toBe(2);
    // Nothing is STUCK any more: a second bulk retry finds nothing.
    const again = await subgraph.request<{ retrySagas: { retried: number } }>(
      RETRY_ALL,
      { filter: { startedAfter: since } },
      ADMIN,
    );
    expect(again.data!.retrySagas.retried).toBe(0);

    await reply(order.id, 'releaseInventory', 'SUCCEEDED');
    await expect.poll(async () => (await sagaOf(order.id)).status).toBe('FAILED');
    expect(await sagaOf(order.id)).toMatchObject({
      failureReason: 'Held by the fraud team',
      saga: { status: 'COMPENSATED' },
    });

    const audit = await subgraph.request<{
      auditLog: { edges: { node: { action: string; target: string; details: string } }[] };
    }>(AUDIT, {}, ADMIN);
    const entries = audit.data!.auditLog.edges.map((e) => e.node).filter((e) => e.target === `order:${order.id}`);
    expect(entries.map((e) => e.action)).toEqual(['saga.retried', 'saga.compensated']);
    expect(JSON.parse(entries[1]!.details)).toMatchObject({ reason: 'Held by the fraud team', customerId: 'eve' });
  });

  it('refuses bad requests with a code and writes nothing', async () => {
    const order = await place('fay');
    const cases: [string, Record<string, unknown>, string | { admin: string }][] = [
      [COMPENSATE, { orderId: order.id }, 'fay'],
      [COMPENSATE, { orderId: order.id, reason: 'x'.repeat(201) }, ADMIN],
      [COMPENSATE, { orderId: crypto.randomUUID() }, ADMIN],
      [RETRY_ALL, { filter: { status: 'RUNNING' } }, ADMIN],
      [RETRY_ALL, { filter: {}, limit: 0 }, ADMIN],
      [RETRY_ALL, { filter: {} }, 'fay'],
    ];
    const codes = [];
    for (const [query, variables, as] of cases) codes.push(codeOf(await subgraph.request(query, variables, as)));
    expect(codes).toEqual([
      'FORBIDDEN',
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'BAD_USER_INPUT',
      'BAD_USER_INPUT',
      'FORBIDDEN',
    ]);
    expect((await sagaOf(order.id)).saga).toMatchObject({ status: 'RUNNING', currentStep: 'reserveInventory' });
    expect(sentFor(order.id, 'ReleaseInventory')).toBe(0);
  });
});
