import type { Cents } from '../../kernel/index.ts';
import { badInput, uuidOf } from '../../kernel/index.ts';

import type { OrderStatus } from '../../messaging/index.ts';

export { isFinalOrderStatus as isFinal } from '../../messaging/index.ts';
// The statuses are part of the wire contract (OrderStatusChanged carries them).
export type { OrderStatus };

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;
export const MAX_IDEMPOTENCY_KEY = 200;
/** What a payment provider's token looks like: letters, digits, `_` and `-`, at most 128. */
export const PAYMENT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Printable text only: no control characters (PostgreSQL refuses NUL; none belongs in a key). */
const PRINTABLE = /^[^\p{Cc}]+$/u;
/** Every product is priced in this currency. */
export const CURRENCY = 'USD';

export interface PlaceOrderInput {
  items: { productId: string; quantity: number }[];
  paymentToken: string;
  idempotencyKey?: string | null;
}

export interface Line {
  productId: string;
  quantity: number;
}

/** Checks what can be checked without the catalog; throws BAD_USER_INPUT naming the field. */
export function validatePlaceOrder(input: PlaceOrderInput): Line[] {
  const { items, paymentToken, idempotencyKey } = input;
  if (items.length === 0) throw badInput('An order needs at least one item', { field: 'items' });
  if (items.length > MAX_LINES) throw badInput(`An order may have at most ${MAX_LINES} lines`, { field: 'items' });
  const seen = new Set<string>();
  const lines = items.map((item, i) => {
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw badInput(`quantity must be between 1 and ${MAX_QUANTITY}`, { field: `items.${i}.quantity` });
    }
    const productId = uuidOf(item.productId);
    if (!productId)
      throw badInput(`Unknown product ${JSON.stringify(item.productId.slice(0, 64))}`, {
        field: `items.${i}.productId`,
      });
    if (seen.has(productId)) throw badInput(`Product ${productId} appears twice`, { field: `items.${i}.productId` });
    seen.add(productId);
    return { productId, quantity: item.quantity };
  });
  if (paymentToken.trim() === '') throw badInput('paymentToken must not be empty', { field: 'paymentToken' });
  if (!PAYMENT_TOKEN_PATTERN.test(paymentToken)) {
    throw badInput('paymentToken must be 1 to 128 letters, digits, "_" or "-", as the payment provider issues it', {
      field: 'paymentToken',
    });
  }
  if (
    idempotencyKey !== null &&
    idempotencyKey !== undefined &&
    (idempotencyKey === '' || idempotencyKey.length > MAX_IDEMPOTENCY_KEY || !PRINTABLE.test(idempotencyKey))
  ) {
    throw badInput(`idempotencyKey must have 1 to ${MAX_IDEMPOTENCY_KEY} printable characters`, {
      field: 'idempotencyKey',
    });
  }
  return lines;
}

export interface PricedLine extends Line {
  unitPriceCents: Cents;
}

/** Prices each line from the catalog; an id the catalog does not know is bad input. */
export function priceLines(
  lines: Line[],
  prices: ReadonlyMap<string, Cents>,
): { lines: PricedLine[]; totalCents: Cents } {
  const priced = lines.map((line, i) => {
    const unitPriceCents = prices.get(line.productId);
    if (unitPriceCents === undefined)
      throw badInput(`Unknown product ${line.productId}`, { field: `items.${i}.productId` });
    return { ...line, unitPriceCents };
  });
  return { lines: priced, totalCents: priced.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0) };
}

const next: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['INVENTORY_CONFIRMED', 'FAILED', 'CANCELLED'],
  INVENTORY_CONFIRMED: ['PAYMENT_CONFIRMED', 'FAILED', 'CANCELLED'],
  PAYMENT_CONFIRMED: ['COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** Whether an order may move from one status to another; final statuses never change. */
export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => next[from].includes(to);

/** The statuses an order may move to `to` from. */
export const statusesBefore = (to: OrderStatus): OrderStatus[] =>
  (Object.keys(next) as OrderStatus[]).filter((from) => next[from].includes(to));
