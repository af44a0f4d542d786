import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { type Cents, parseCents } from '../../kernel/index.ts';
import type { Envelope } from '../../messaging/index.ts';
import { catalog } from './tables.ts';

/** Prices of products, as the order service last heard them from inventory. */
export interface Catalog {
  /** The price of each known id; unknown ids are absent. */
  prices(ids: string[]): Promise<Map<string, Cents>>;
}

/**
 * The order service keeps its own copy of product prices, fed by inventory's `ProductPriced`
 * events: placing an order reads no other service, so it works while inventory is slow or down.
 */
export function createLocalCatalog(db: Db): Catalog {
  return {
    async prices(ids) {
      if (ids.length === 0) return new Map();
      const rows = await db
        .select({ id: catalog.productId, priceCents: catalog.priceCents })
        .from(catalog)
        .where(inArray(catalog.productId, ids));
      return new Map(rows.map((r) => [r.id, r.priceCents]));
    },
  };
}

/** Applies a price announcement (idempotent: the latest announcement wins). */
export async function recordPrice(tx: Db, event: Envelope<'ProductPriced'>): Promise<void> {
  const { productId, sku, price, currency } = event.payload;
  const row = { productId, sku, priceCents: parseCents(price), currency, updatedAt: new Date(event.occurredAt) };
  await tx
    .insert(catalog)
    .values(row)
    .onConflictDoUpdate({
      target: catalog.productId,
      set: { sku, priceCents: row.priceCents, currency, updatedAt: row.updatedAt },
      setWhere: sql`${catalog.updatedAt} <= ${row.updatedAt.toISOString()}::timestamptz`,
    });
}
