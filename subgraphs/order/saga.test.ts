import { describe, expect, it } from 'vitest';
import type { SagaState } from '../../saga/index.ts';
import { decide, initialState, type SagaEvent } from '../../saga/index.ts';
import { type OrderSagaData, orderSaga, orderStatusAfter } from './saga.ts';

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
const fresh: SagaState<OrderSagaData> = initialState('00000000-0000-4000-8000-0000000000ff', data.orderId, data);

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

const sentTypes = (d: ReturnType<typeof given>) =>
  d.effects.flatMap((e) => (e.kind === 'send' ? [e.command.type] : []));

describe('the order saga', () => {
  it('starts by asking inventory to reserve every line', () => {
    const d = given();
    expect(d.state.currentStep).toBe('reserveInventory');
    expect(d.effects).toEqual([
      {
        kind: 'send',
        step: 'reserveInventory',
        compensation: false,
        command: {
          type: 'ReserveInventory',
          payload: { sagaId: fresh.id, step: 'reserveInventory', orderId: data.orderId, lines: data.lines },
        },
      },
    ]);
  });

  it('charges the payment with a key derived from the saga and step once the stock is reserved', () => {
    const d = given(ok('reserveInventory'));
    const send = d.effects[0];
    expect(send?.kind === 'send' && send.command.type === 'ChargePayment' && send.command.payload.idempotencyKey).toBe(
      `${fresh.id}:chargePayment`,
    );
    expect(orderStatusAfter(d.effects)).toEqual({ status: 'INVENTORY_CONFIRMED', reason: null });
  });

  it('commits the stock after the payment, then completes the order as a local step', () => {
    expect(sentTypes(given(ok('reserveInventory'), ok('chargePayment')))).toEqual(['CommitInventory']);
    const d = given(ok('reserveInventory'), ok('chargePayment'), ok('commitInventory'));
    expect(d.effects).toEqual([{ kind: 'local', step: 'completeOrder' }]);
    const done = decide(definition, d.state, ok('completeOrder'), now);
    expect(done.state.status).toBe('COMPLETED');
    expect(done.effects).toEqual([{ kind: 'finished', status: 'COMPLETED', reason: null, cancelled: false }]);
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

const at = (ms: number) => new Date(now.getTime() + ms);

describe('the order saga under retries, deadlines and cancellation', () => {
  const retriable = (step: string, reason = 'provider unavailable'): SagaEvent => ({
    kind: 'replied',
    step,
    outcome: 'FAILED',
    reason,
    retriable: true,
  });

  it('retries a retriable failure after a backoff, with one more attempt, then goes on', () => {
    const waiting = given(ok('reserveInventory'), retriable('chargePayment'));
    expect(waiting.effects).toEqual([]);
    expect(waiting.state.retryAt).not.toBeNull();
    expect(waiting.state.steps.at(-1)).toMatchObject({
      name: 'chargePayment',
      status: 'RUNNING',
      attempts: 1,
      error: 'provider unavailable',
    });
    const resent = decide(definition, waiting.state, { kind: 'retryDue' }, at(1000));
    expect(sentTypes(resent)).toEqual(['ChargePayment']);
    expect(resent.state.steps.at(-1)).toMatchObject({ attempts: 2 });
    const paid = decide(definition, resent.state, ok('chargePayment'), at(1100));
    expect(sentTypes(paid)).toEqual(['CommitInventory']);
  });

  it('counts a retriable failure as final after the last attempt, and compensates', () => {
    let d = given(ok('reserveInventory'), retriable('chargePayment'));
    for (let i = 0; i < 2; i++) {
      d = decide(definition, d.state, { kind: 'retryDue' }, now);
      d = decide(definition, d.state, retriable('chargePayment'), now);
    }
    expect(d.state.status).toBe('COMPENSATING');
    expect(d.state.steps.find((s) => s.name === 'chargePayment')).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(sentTypes(d)).toEqual(['ReleaseInventory']);
  });

  it('abandons the running payment at the deadline, refunds it in case it went through, releases the stock, and fails with a timeout reason', () => {
    const timedOut = given(ok('reserveInventory'), { kind: 'deadlineExceeded' });
    expect(timedOut.state.failureReason).toMatch(/payment timed out/i);
    expect(sentTypes(timedOut)).toEqual(['RefundPayment']);
    const refunded = decide(definition, timedOut.state, ok('refundPayment'), now);
    expect(sentTypes(refunded)).toEqual(['ReleaseInventory']);
    const released = decide(definition, refunded.state, ok('releaseInventory'), now);
    expect(released.state.status).toBe('COMPENSATED');
    expect(orderStatusAfter(released.effects)).toEqual({ status: 'FAILED', reason: timedOut.state.failureReason });
    expect(released.state.steps.map((s) => [s.name, s.status])).toEqual([
      ['reserveInventory', 'COMPENSATED'],
      ['chargePayment', 'COMPENSATED'],
      ['refundPayment', 'SUCCEEDED'],
      ['releaseInventory', 'SUCCEEDED'],
    ]);
  });

  it('ignores a late reply from the abandoned step', () => {
    const timedOut = given(ok('reserveInventory'), { kind: 'deadlineExceeded' });
    expect(decide(definition, timedOut.state, ok('chargePayment'), now).changed).toBe(false);
  });

  it.each([
    ['while the stock is being reserved', [], ['ReleaseInventory']],
    ['while the payment is being charged', [ok('reserveInventory')], ['RefundPayment', 'ReleaseInventory']],
    [
      'while the stock is being committed',
      [ok('reserveInventory'), ok('chargePayment')],
      ['ReleaseInventory', 'RefundPayment', 'ReleaseInventory'],
    ],
  ])(
    'cancels %s by undoing every step that took or may take effect, in reverse, and ends CANCELLED',
    (_when, before, undo) => {
      let d = given(...(before as SagaEvent[]), { kind: 'cancelRequested', reason: 'Cancelled by the customer' });
      const sent: string[] = [];
      while (d.state.status === 'COMPENSATING') {
        sent.push(...sentTypes(d));
        d = decide(definition, d.state, ok(d.state.currentStep!), now);
      }
      expect(sent).toEqual(undo);
      expect(d.state.status).toBe('COMPENSATED');
      expect(orderStatusAfter(d.effects)).toEqual({ status: 'CANCELLED', reason: 'Cancelled by the customer' });
    },
  );

  it('does not cancel a completed saga', () => {
    const done = decide(
      definition,
      given(ok('reserveInventory'), ok('chargePayment'), ok('commitInventory')).state,
      ok('completeOrder'),
      now,
    );
    expect(decide(definition, done.state, { kind: 'cancelRequested', reason: 'x' }, now).changed).toBe(false);
  });

  it('retries a failing compensation, goes STUCK when retries run out, and resumes on request', () => {
    let d = given(ok('reserveInventory'), failed('chargePayment', 'declined'));
    for (let i = 0; i < 4; i++) {
      d = decide(definition, d.state, retriable('releaseInventory', 'database unavailable'), now);
      d = decide(definition, d.state, { kind: 'retryDue' }, now);
    }
    d = decide(definition, d.state, retriable('releaseInventory', 'database unavailable'), now);
    expect(d.state.status).toBe('STUCK');
    expect(d.effects).toEqual([
      { kind: 'finished', status: 'STUCK', reason: 'database unavailable', cancelled: false },
    ]);
    const resumed = decide(definition, d.state, { kind: 'resumeRequested' }, now);
    expect(resumed.state.status).toBe('COMPENSATING');
    expect(sentTypes(resumed)).toEqual(['ReleaseInventory']);
    expect(resumed.state.steps.at(-1)).toMatchObject({
      name: 'releaseInventory',
      status: 'RUNNING',
      attempts: 6,
      isCompensation: true,
    });
    const finished = decide(definition, resumed.state, ok('releaseInventory'), now);
    expect(orderStatusAfter(finished.effects)).toEqual({ status: 'FAILED', reason: 'declined' });
  });
});

describe('the order saga when an operator forces its compensation', () => {
  const force: SagaEvent = { kind: 'compensationForced', reason: 'Stopped by an administrator' };
  const retriable = (step: string): SagaEvent => ({
    kind: 'replied',
    step,
    outcome: 'FAILED',
    reason: 'provider unavailable',
    retriable: true,
  });

  it('abandons a running saga, undoes what took or may take effect, and fails the order with the reason', () => {
    let d = given(ok('reserveInventory'), force);
    expect(d.state).toMatchObject({ status: 'COMPENSATING', cancelled: false });
    expect(d.state.steps.at(1)).toMatchObject({ name: 'chargePayment', status: 'FAILED', outcomeUnknown: true });
    const sent = [...sentTypes(d)];
    while (d.state.status === 'COMPENSATING') {
      d = decide(definition, d.state, ok(d.state.currentStep!), now);
      sent.push(...sentTypes(d));
    }
    expect(sent).toEqual(['RefundPayment', 'ReleaseInventory']);
    expect(orderStatusAfter(d.effects)).toEqual({ status: 'FAILED', reason: 'Stopped by an administrator' });
  });

  it('resumes a STUCK saga, sending its failed compensation again', () => {
    let d = given(ok('reserveInventory'), failed('chargePayment', 'declined'));
    for (let i = 0; i < 4; i++) {
      d = decide(definition, d.state, retriable('releaseInventory'), now);
      d = decide(definition, d.state, { kind: 'retryDue' }, now);
    }
    d = decide(definition, d.state, retriable('releaseInventory'), now);
    expect(d.state.status).toBe('STUCK');
    const forced = decide(definition, d.state, force, now);
    expect(forced.state.status).toBe('COMPENSATING');
    expect(sentTypes(forced)).toEqual(['ReleaseInventory']);
    expect(forced.state.steps.at(-1)).toMatchObject({ status: 'RUNNING', attempts: 6 });
    // The reason the saga failed for stays the customer's: the payment was declined.
    expect(forced.state.failureReason).toBe('declined');
  });

  it('sends a compensation waiting out its retry at once', () => {
    const waiting = given(ok('reserveInventory'), failed('chargePayment', 'declined'), retriable('releaseInventory'));
    expect(waiting.state.retryAt).not.toBeNull();
    const forced = decide(definition, waiting.state, force, now);
    expect(sentTypes(forced)).toEqual(['ReleaseInventory']);
    expect(forced.state).toMatchObject({ status: 'COMPENSATING', retryAt: null });
    expect(forced.state.steps.at(-1)).toMatchObject({ attempts: 2 });
  });

  it('changes nothing while a compensation is in flight or once the saga has ended', () => {
    const inFlight = given(ok('reserveInventory'), failed('chargePayment', 'declined'));
    expect(decide(definition, inFlight.state, force, now).changed).toBe(false);
    const done = given(ok('reserveInventory'), ok('chargePayment'), ok('commitInventory'), ok('completeOrder'));
    expect(done.state.status).toBe('COMPLETED');
    expect(decide(definition, done.state, force, now).changed).toBe(false);
  });
});
