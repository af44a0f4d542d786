import { describe, expect, it } from 'vitest';
import { decide, type SagaEvent } from './core.ts';
import type { SagaState } from './definition.ts';
import { orderSaga, orderStatusAfter, type OrderSagaData } from './order-saga.ts';

const definition = orderSaga({ deadlineMs: 30_000 });
const now = new Date('2026-11-25T12:00:00.000Z');
const data: OrderSagaData = {
  orderId: '00000000-0000-4000-8000-000000000001',
  customerId: 'c1',
  lines: [{ productId: '00000000-0000-4000-8000-0000000000aa', quantity: 2 }],
  amount: '59.98',
  currency: 'USD',
  paymentToken: 'tok_visa',
};
const fresh: SagaState<OrderSagaData> = {
  id: '00000000-0000-4000-8000-0000000000ff',
  correlationId: data.orderId,
  status: 'RUNNING',
  currentStep: null,
  data,
  steps: [],
  failureReason: null,
};

const ok = (step: string): SagaEvent => ({ kind: 'replied', step, outcome: 'SUCCEEDED' });
const failed = (step: string, reason: string): SagaEvent => ({ kind: 'replied', step, outcome: 'FAILED', reason });

/** Given the events so far, when the last one happens: the decision. */
function given(...events: SagaEvent[]) {
  let state = fresh;
  let last = decide(definition, state, { kind: 'started' }, now);
  for (const event of events) {
    state = last.state;
    last = decide(definition, state, event, now);
  }
  return last;
}

const sentTypes = (d: ReturnType<typeof given>) => d.effects.flatMap((e) => (e.kind === 'send' ? [e.command.type] : []));

describe('the order saga', () => {
  it('starts by asking inventory to reserve every line', () => {
    const d = given();
    expect(d.state.currentStep).toBe('reserveInventory');
    expect(d.effects).toEqual([
      { kind: 'send', step: 'reserveInventory', compensation: false, command: { type: 'ReserveInventory', payload: { sagaId: fresh.id, step: 'reserveInventory', orderId: data.orderId, lines: data.lines } } },
    ]);
  });

  it('charges the payment with a key derived from the saga and step once the stock is reserved', () => {
    const d = given(ok('reserveInventory'));
    const send = d.effects[0];
    expect(send?.kind === 'send' && send.command.type === 'ChargePayment' && send.command.payload.idempotencyKey).toBe(`${fresh.id}:chargePayment`);
    expect(orderStatusAfter(d.effects)).toEqual({ status: 'INVENTORY_CONFIRMED', reason: null });
  });

  it('commits the stock after the payment, then completes the order as a local step', () => {
    expect(sentTypes(given(ok('reserveInventory'), ok('chargePayment')))).toEqual(['CommitInventory']);
    const d = given(ok('reserveInventory'), ok('chargePayment'), ok('commitInventory'));
    expect(d.effects).toEqual([{ kind: 'local', step: 'completeOrder' }]);
    const done = decide(definition, d.state, ok('completeOrder'), now);
    expect(done.state.status).toBe('COMPLETED');
    expect(done.effects).toEqual([{ kind: 'finished', status: 'COMPLETED', reason: null }]);
    expect(done.state.steps.map((s) => [s.name, s.status])).toEqual([
      ['reserveInventory', 'SUCCEEDED'],
      ['chargePayment', 'SUCCEEDED'],
      ['commitInventory', 'SUCCEEDED'],
      ['completeOrder', 'SUCCEEDED'],
    ]);
  });

  it('fails at once, with nothing to undo, when the stock cannot be reserved', () => {
    const d = given(failed('reserveInventory', 'Not enough stock'));
    expect(d.state.status).toBe('COMPENSATED');
    expect(sentTypes(d)).toEqual([]);
    expect(orderStatusAfter(d.effects)).toEqual({ status: 'FAILED', reason: 'Not enough stock' });
  });

  it('releases the reserved stock when the payment is declined, and then fails the order', () => {
    const declined = given(ok('reserveInventory'), failed('chargePayment', 'Payment declined'));
    expect(declined.state.status).toBe('COMPENSATING');
    expect(sentTypes(declined)).toEqual(['ReleaseInventory']);
    const released = decide(definition, declined.state, ok('releaseInventory'), now);
    expect(released.state.status).toBe('COMPENSATED');
    expect(released.state.steps.map((s) => [s.name, s.status, s.isCompensation])).toEqual([
      ['reserveInventory', 'COMPENSATED', false],
      ['chargePayment', 'FAILED', false],
      ['releaseInventory', 'SUCCEEDED', true],
    ]);
    expect(orderStatusAfter(released.effects)).toEqual({ status: 'FAILED', reason: 'Payment declined' });
  });

  it('ignores a duplicate reply for a step that already finished', () => {
    const d = given(ok('reserveInventory'), ok('reserveInventory'));
    expect(d.changed).toBe(false);
    expect(d.effects).toEqual([]);
  });

  it('stops as STUCK when a compensation fails', () => {
    const d = given(ok('reserveInventory'), failed('chargePayment', 'declined'), failed('releaseInventory', 'db down'));
    expect(d.state.status).toBe('STUCK');
    expect(orderStatusAfter(d.effects)).toBeNull();
  });
});
