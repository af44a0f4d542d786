import { createReadModel } from '../../cache/index.ts';
import { topics } from '../../messaging/index.ts';
import type { Service, ServiceDeps } from '../../runtime/index.ts';
import { createSubgraphService, readSchema } from '../../runtime/subgraph/index.ts';
import { inventoryHandlers, lockBatchProducts } from './handlers.ts';
import { listProducts } from './repository.ts';
import { inventoryResolvers, productLoader } from './resolvers.ts';
import { seedDemoCatalog } from './seed.ts';
import { inbox, outbox, type ProductRow } from './tables.ts';

export const inventoryTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
export const inventoryMigrations = { name: 'inventory' };

/** The inventory subgraph (products and stock) and its saga participant. Never listens itself. */
export async function createInventoryService(deps: ServiceDeps): Promise<Service> {
  const { db, config, cache } = deps;
  if (config.seedDemoCatalog) await seedDemoCatalog(db);
  // Product availability: read through the cache, forgotten as soon as a change commits.
  const views = createReadModel<ProductRow>(cache, 'product', config.cacheTtlSeconds);
  const touched = new Set<string>();
  const service = await createSubgraphService(deps, {
    name: 'inventory',
    typeDefs: inventoryTypeDefs,
    tables: { outbox, inbox },
    handlers: inventoryHandlers(touched),
    beforeBatch: lockBatchProducts,
    topics: [topics.inventoryCommands],
    resolvers: (relay) => inventoryResolvers(db, views, relay.nudge),
    extendContext: (base) => ({ ...base, products: productLoader(db, views) }),
    onCommitted: () => {
      const ids = [...touched];
      touched.clear();
      void views.evict(ids);
    },
    stats: () => ({ productCache: views.stats() }),
    caches: { product_view: views },
  });
  // Warm the cache with the catalog, so the first readers hit.
  await productLoader(db, views).loadMany(
    (await listProducts(db, { limit: 1000, afterSku: undefined })).map((p) => p.id),
  );
  return service;
}
