import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, GraphQLClientError } from '../client/index.ts';
import { type RunningSystem, startSystem, waitFor } from '../harness/index.ts';

/**
 * A compensation that keeps failing: the payment provider refuses refunds five times (an injected
 * fault), the saga runs out of compensation retries and is STUCK, visible through the API, until
 * an admin resumes it.
 */
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
let system: RunningSystem;
let alice: Client;
let admin: Client;

beforeAll(async () => {
  system = await startSystem('stuck', {
    env: { SAGA_DEADLINE_MS: '60000' },
    serviceEnv: { payment: { FAULTS: 'payment.refund.fail:5' } },
  });
  alice = await system.client('alice');
  admin = await system.client('ops', { admin: true });
});
afterAll(async () => {
  await system?.stop();
});

const codeOf = (call: Promise<unknown>) =>
  call.then(
    () => 'no error',
    (e: GraphQLClientError) => e.code,
  );

describe('a compensation that cannot finish', () => {
  it('leaves the saga STUCK with the error on its step, and an admin resumes it to the end', async () => {
    const before = (await alice.product(BOOK))!;
    // Hold the saga at the payment, cancel it there: the charge goes through, and its refund is refused.
    await system.signal('payment', 'SIGSTOP');
    let id = '';
    try {
      id = (await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' })).id;
      await waitFor(
        async () => (await alice.orderStatus(id))!,
        (o) => o.status === 'INVENTORY_CONFIRMED',
        { what: 'the stock to be reserved' },
      );
      await alice.cancelOrder(id);
    } finally {
      await system.signal('payment', 'SIGCONT');
    }

    const stuck = await waitFor(
      async () => (await alice.order(id))!,
      (o) => o.saga.status === 'STUCK',
      { what: 'the saga to be STUCK' },
    );
    expect(stuck.status).toBe('INVENTORY_CONFIRMED');
    expect(stuck.saga.currentStep).toBe('refundPayment');
    expect(stuck.saga.steps.at(-1)).toMatchObject({
      name: 'refundPayment',
      status: 'FAILED',
      isCompensation: true,
      attempts: 5,
      error: 'The payment provider refused the refund',
    });
    expect(stuck.payment).toMatchObject({ status: 'APPROVED' });

    expect(await codeOf(alice.retrySaga(id))).toBe('FORBIDDEN');
    const resumed = await admin.retrySaga(id);
    expect(resumed.saga.status).toBe('COMPENSATING');

    const done = await waitFor(
      async () => (await alice.order(id))!,
      (o) => o.status === 'CANCELLED',
      { what: 'the order to be cancelled' },
    );
    expect(done.saga.status).toBe('COMPENSATED');
    expect(done.saga.steps.map((s) => `${s.name}:${s.status}:${s.attempts}`)).toEqual([
      'reserveInventory:COMPENSATED:1',
      'chargePayment:COMPENSATED:1',
      'refundPayment:SUCCEEDED:6',
      'releaseInventory:SUCCEEDED:1',
    ]);
    expect(done.payment).toMatchObject({ status: 'REFUNDED' });
    expect((await alice.product(BOOK))!.available).toBe(before.available);
  });

  it('resumes only a STUCK saga', async () => {
    const placed = await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    await waitFor(
      async () => (await alice.orderStatus(placed.id))!,
      (o) => o.status === 'COMPLETED',
      { what: 'the order to complete' },
    );
    expect(await codeOf(admin.retrySaga(placed.id))).toBe('BAD_USER_INPUT');
    expect(await codeOf(admin.retrySaga('7a1c0e52-0000-4000-8000-00000000dead'))).toBe('NOT_FOUND');
  });
});
