import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from '../../kernel/index.ts';
import { canTransition, type PlaceOrderInput, priceLines, statusesBefore, validatePlaceOrder } from './order.ts';

const p1 = '7a1c0e52-0001-4000-8000-000000000001';
const p2 = '7a1c0e52-0002-4000-8000-000000000002';
const input = (items: PlaceOrderInput['items'], extra: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  items,
  paymentToken: 'tok_visa',
  ...extra,
});

function rejection(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('placing an order', () => {
  it('accepts up to 50 distinct lines of 1..1000 units', () => {
    expect(
      validatePlaceOrder(
        input([
          { productId: p1, quantity: 1 },
          { productId: p2, quantity: 1000 },
        ]),
      ),
    ).toHaveLength(2);
  });

  it.each([
    ['no items', input([]), 'items'],
    ['a quantity of 0', input([{ productId: p1, quantity: 0 }]), 'items.0.quantity'],
    ['a quantity of 1001', input([{ productId: p1, quantity: 1001 }]), 'items.0.quantity'],
    [
      'the same product twice',
      input([
        { productId: p1, quantity: 1 },
        { productId: p1, quantity: 2 },
      ]),
      'items.1.productId',
    ],
    ['a product id that is not an id', input([{ productId: 'nope', quantity: 1 }]), 'items.0.productId'],
    ['an empty payment token', input([{ productId: p1, quantity: 1 }], { paymentToken: ' ' }), 'paymentToken'],
    ['an empty idempotency key', input([{ productId: p1, quantity: 1 }], { idempotencyKey: '' }), 'idempotencyKey'],
  ])('rejects %s as BAD_USER_INPUT on %s', (_name, bad, field) => {
    const err = rejection(() => validatePlaceOrder(bad));
    expect(err.code).toBe(ErrorCode.BadUserInput);
    expect(err.details?.field).toBe(field);
  });

  it('rejects more than 50 lines', () => {
    const items = Array.from({ length: 51 }, (_, i) => ({
      productId: `7a1c0e52-0000-4000-8000-${String(i).padStart(12, '0')}`,
      quantity: 1,
    }));
    expect(rejection(() => validatePlaceOrder(input(items))).details?.field).toBe('items');
  });

  it('prices every line from the catalog and sums the total exactly', () => {
    const priced = priceLines(
      [
        { productId: p1, quantity: 3 },
        { productId: p2, quantity: 1 },
      ],
      new Map([
        [p1, 1999],
        [p2, 1],
      ]),
    );
    expect(priced.totalCents).toBe(5998);
    expect(priced.lines[0]).toEqual({ productId: p1, quantity: 3, unitPriceCents: 1999 });
  });

  it('treats a product the catalog does not know as bad input', () => {
    expect(rejection(() => priceLines([{ productId: p1, quantity: 1 }], new Map())).code).toBe(ErrorCode.BadUserInput);
  });
});

describe('order status', () => {
  it('moves forward through the saga and never leaves a final status', () => {
    expect(canTransition('PENDING', 'INVENTORY_CONFIRMED')).toBe(true);
    expect(canTransition('PAYMENT_CONFIRMED', 'COMPLETED')).toBe(true);
    expect(canTransition('PENDING', 'COMPLETED')).toBe(false);
    expect(canTransition('COMPLETED', 'FAILED')).toBe(false);
    expect(canTransition('FAILED', 'CANCELLED')).toBe(false);
  });

  it('names, for each status, exactly the statuses an order may reach it from', () => {
    const all = ['PENDING', 'INVENTORY_CONFIRMED', 'PAYMENT_CONFIRMED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
    expect(statusesBefore('COMPLETED')).toEqual(['PAYMENT_CONFIRMED']);
    expect(statusesBefore('PENDING')).toEqual([]);
    for (const to of all) expect(statusesBefore(to)).toEqual(all.filter((from) => canTransition(from, to)));
  });
});
