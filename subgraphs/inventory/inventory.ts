import { badInput } from '../../kernel/index.ts';

/** The stock of one product as the domain sees it. */
export interface Stock {
  productId: string;
  sku: string;
  available: number;
}

export interface Line {
  productId: string;
  quantity: number;
}

export type ReserveDecision = { ok: true } | { ok: false; reason: string };

/**
 * All lines or none: the order's stock is reserved only if every product exists and has enough
 * units available. The reason names the first line that cannot be served.
 */
export function decideReservation(stock: Stock[], lines: Line[]): ReserveDecision {
  const byId = new Map(stock.map((s) => [s.productId, s]));
  for (const line of lines) {
    const s = byId.get(line.productId);
    if (!s) return { ok: false, reason: `A product in the order is no longer sold (${line.productId})` };
    if (s.available < line.quantity) {
      return {
        ok: false,
        reason: `Not enough stock for ${s.sku}: ${line.quantity} requested, ${s.available} available`,
      };
    }
  }
  return { ok: true };
}

export const MAX_RESTOCK = 1_000_000;

/** Restocking adds 1..1,000,000 units at a time. */
export function validateRestock(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_RESTOCK) {
    throw badInput(`quantity must be between 1 and ${MAX_RESTOCK}`, { field: 'quantity' });
  }
}
