import { describe, expect, it } from 'vitest';
import { DomainError } from '../../kernel/index.ts';
import { decideReservation, validateRestock } from './inventory.ts';

const stock = [
  { productId: 'p1', sku: 'MUG-001', available: 5 },
  { productId: 'p2', sku: 'TEE-002', available: 1 },
];

describe('reserving stock for an order', () => {
  it('reserves when every line has enough units available', () => {
    expect(
      decideReservation(stock, [
        { productId: 'p1', quantity: 5 },
        { productId: 'p2', quantity: 1 },
      ]),
    ).toEqual({ ok: true });
  });

  it('refuses the whole order when one line lacks stock, naming the product', () => {
    expect(
      decideReservation(stock, [
        { productId: 'p1', quantity: 1 },
        { productId: 'p2', quantity: 2 },
      ]),
    ).toEqual({
      ok: false,
      reason: 'Not enough stock for TEE-002: 2 requested, 1 available',
    });
  });

  it('refuses an order for a product that does not exist', () => {
    expect(decideReservation(stock, [{ productId: 'p9', quantity: 1 }])).toMatchObject({ ok: false });
  });
});

describe('restocking', () => {
  it('accepts 1 to 1,000,000 units', () => {
    expect(() => validateRestock(1)).not.toThrow();
    expect(() => validateRestock(1_000_000)).not.toThrow();
  });

  it.each([0, -1, 1_000_001, 1.5])('rejects %s units as bad input', (q) => {
    expect(() => validateRestock(q)).toThrow(DomainError);
  });
});
