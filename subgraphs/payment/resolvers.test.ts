import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphForTest } from '../../runtime/testing.ts';
import { insertPayment } from './repository.ts';
import { createPaymentService, paymentMigrations } from './server.ts';

const ORDER_ID = '0b6f1d3e-0000-4000-8000-000000000001';
let subgraph: Awaited<ReturnType<typeof startSubgraphForTest>>;
beforeAll(async () => {
  subgraph = await startSubgraphForTest([paymentMigrations], createPaymentService);
  await insertPayment(subgraph.deps.db, {
    orderId: ORDER_ID,
    customerId: 'alice',
    amountCents: 5999,
    currency: 'USD',
    status: 'APPROVED',
    idempotencyKey: 'saga:chargePayment',
    transactionId: 'txn_1',
    processedAt: new Date('2026-11-25T10:00:00.000Z'),
  });
});
afterAll(() => subgraph?.stop());

const PAYMENT =
  'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id payment { orderId amount status transactionId processedAt } } } }';
const paymentOf = async (orderId: string, as: string | { admin: string }) =>
  (
    await subgraph.request<{ _entities: { payment: unknown }[] }>(
      PAYMENT,
      { r: [{ __typename: 'Order', id: orderId }] },
      as,
    )
  ).data!._entities[0]!.payment;

describe('payment resolvers', () => {
  it('shows an order’s payment to its customer and to admins', async () => {
    const expected = {
      orderId: ORDER_ID,
      amount: '59.99',
      status: 'APPROVED',
      transactionId: 'txn_1',
      processedAt: '2026-11-25T10:00:00.000Z',
    };
    expect(await paymentOf(ORDER_ID, 'alice')).toEqual(expected);
    expect(await paymentOf(ORDER_ID, { admin: 'root' })).toEqual(expected);
  });

  it('shows nothing to another customer, and null before the saga reached the payment step', async () => {
    expect(await paymentOf(ORDER_ID, 'mallory')).toBeNull();
    expect(await paymentOf('0b6f1d3e-0000-4000-8000-000000000002', 'alice')).toBeNull();
  });
});
