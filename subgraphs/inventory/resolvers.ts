import DataLoader from 'dataloader';
import type { ReadModel } from '../../cache/index.ts';
import type { Db } from '../../db/index.ts';
import { auditEntry, connection, forbidden, formatCents, notFound, pageArgs, uuidOf } from '../../kernel/index.ts';
import type { SubgraphContext } from '../../runtime/subgraph/index.ts';
import { recordAudit } from './announcements.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { validateRestock } from './inventory.ts';
import { listProducts, productsByIds, restock } from './repository.ts';
import type { ProductRow } from './tables.ts';

export interface InventoryContext extends SubgraphContext {
  products: DataLoader<string, ProductRow | null>;
}

/** Products as cached: dates travel as strings. */
const revive = (p: ProductRow): ProductRow => ({
  ...p,
  createdAt: new Date(p.createdAt),
  updatedAt: new Date(p.updatedAt),
});

/**
 * One loader per request: every product reference of a response is read from the availability
 * read model, and what it misses from the database in one query (then cached, versioned by
 * `updatedAt`, which every stock change moves).
 */
export const productLoader = (db: Db, views: ReadModel<ProductRow>) =>
  new DataLoader<string, ProductRow | null>(async (ids) => {
    const keys = ids.map(uuidOf);
    const valid = [...new Set(keys.filter((k): k is string => k !== undefined))];
    const cached = await views.getMany(valid);
    const found = new Map<string, ProductRow>();
    for (const [i, id] of valid.entries()) {
      const hit = cached[i];
      if (hit) found.set(id, revive(hit));
    }
    const missing = valid.filter((id) => !found.has(id));
    for (const row of await productsByIds(db, missing)) {
      found.set(row.id, row);
      await views.put(row.id, row.updatedAt.getTime(), row);
    }
    return keys.map((key) => (key === undefined ? null : (found.get(key) ?? null)));
  });

const isSkuKey = (v: unknown): v is { sku: string } =>
  typeof v === 'object' && v !== null && typeof (v as { sku?: unknown }).sku === 'string';

export function inventoryResolvers(
  db: Db,
  views: ReadModel<ProductRow>,
  afterCommit: () => void = () => {},
): Resolvers {
  return {
    Query: {
      product: (_, { id }, ctx) => ctx.products.load(id),
      products: async (_, args) => {
        const { limit, after } = pageArgs(args.first, args.after, isSkuKey);
        const rows = await listProducts(db, { limit, afterSku: after?.sku });
        return connection(
          rows,
          limit,
          (r) => ({ sku: r.sku }),
          (r) => r,
        );
      },
    },
    Mutation: {
      restockProduct: async (_, { productId, quantity }, ctx) => {
        if (!ctx.identity.isAdmin) throw forbidden('Only an admin may restock products');
        validateRestock(quantity);
        const id = uuidOf(productId);
        // The stock and its audit entry (sent to the audit log through the outbox) commit together.
        const row = id
          ? await db.transaction(async (tx) => {
              const changed = await restock(tx, id, quantity);
              if (changed)
                await recordAudit(
                  tx,
                  auditEntry(
                    ctx.identity,
                    'product.restocked',
                    `product:${changed.id}`,
                    { sku: changed.sku, quantity, available: changed.available },
                    ctx.correlationId,
                  ),
                );
              return changed;
            })
          : undefined;
        if (!row) throw notFound(`No product ${productId}`);
        afterCommit();
        await views.evict([row.id]);
        return row;
      },
    },
    Product: {
      __resolveReference: (ref, ctx) => ctx.products.load(ref.id),
      price: (p) => formatCents(p.priceCents),
    },
  };
}
