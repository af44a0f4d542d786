import { describe, expect, it } from 'vitest';
import { chargeOutcome, simulateCharge } from './payment.ts';

describe('the simulated payment provider', () => {
  it('approves tok_visa with the same transaction id for the same idempotency key', () => {
    const first = simulateCharge('tok_visa', 'saga-1:chargePayment');
    expect(first.kind).toBe('approved');
    expect(simulateCharge('tok_visa', 'saga-1:chargePayment')).toEqual(first);
    expect(simulateCharge('tok_visa', 'saga-2:chargePayment')).not.toEqual(first);
  });

  it('declines tok_chargeDeclined and unknown tokens', () => {
    expect(simulateCharge('tok_chargeDeclined', 'k')).toMatchObject({ kind: 'declined' });
    expect(simulateCharge('tok_mastercard', 'k')).toMatchObject({ kind: 'declined' });
  });

  it('never answers tok_timeout', () => {
    expect(simulateCharge('tok_timeout', 'k')).toEqual({ kind: 'no-answer' });
  });
});

describe('a stored payment as a saga outcome', () => {
  it('approved succeeds, declined fails with a reason, pending waits', () => {
    expect(chargeOutcome('APPROVED', null)).toEqual({ outcome: 'SUCCEEDED' });
    expect(chargeOutcome('DECLINED', 'Your card was declined')).toEqual({
      outcome: 'FAILED',
      reason: 'Payment failed: Your card was declined',
    });
    expect(chargeOutcome('PENDING', null)).toBeNull();
  });
});
