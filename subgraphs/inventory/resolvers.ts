import DataLoader from 'dataloader';
import type { Db } from '../../db/client.ts';
import { forbidden, notFound } from '../../platform/errors.ts';
import { formatCents } from '../../platform/money.ts';
import { connection, isUuid, pageArgs } from '../../platform/pagination.ts';
import type { SubgraphContext } from '../../platform/subgraph.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { validateRestock } from './inventory.ts';
import { listProducts, productsByIds, restock } from './repository.ts';
import type { ProductRow } from './tables.ts';

export interface InventoryContext extends SubgraphContext {
  products: DataLoader<string, ProductRow | null>;
}

/** One loader per request: every product reference of a response is fetched in one query. */
export const productLoader = (db: Db) =>
  new DataLoader<string, ProductRow | null>(async (ids) => {
    const rows = await productsByIds(db, ids.filter(isUuid));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });

const isSkuKey = (v: unknown): v is { sku: string } => typeof v === 'object' && v !== null && typeof (v as { sku?: unknown }).sku === 'string';

export function inventoryResolvers(db: Db): Resolvers {
  return {
    Query: {
      product: (_, { id }, ctx) => ctx.products.load(id),
      products: async (_, args) => {
        const { limit, after } = pageArgs(args.first, args.after, isSkuKey);
        const rows = await listProducts(db, { limit, afterSku: after?.sku });
        return connection(rows, limit, (r) => ({ sku: r.sku }), (r) => r);
      },
    },
    Mutation: {
      restockProduct: async (_, { productId, quantity }, ctx) => {
        if (!ctx.identity.isAdmin) throw forbidden('Only an admin may restock products');
        validateRestock(quantity);
        const row = isUuid(productId) ? await restock(db, productId, quantity) : undefined;
        if (!row) throw notFound(`No product ${productId}`);
        return row;
      },
    },
    Product: {
      __resolveReference: (ref, ctx) => ctx.products.load(ref.id),
      price: (p) => formatCents(p.priceCents),
    },
  };
}
