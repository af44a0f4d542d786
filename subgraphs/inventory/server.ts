import { topics } from '../../messaging/contract.ts';
import { readSchema } from '../../platform/subgraph.ts';
import { createSubgraphService } from '../../platform/subgraph-service.ts';
import type { Service, ServiceDeps } from '../../platform/service.ts';
import { inventoryHandlers } from './messages.ts';
import { inventoryResolvers, productLoader } from './resolvers.ts';
import { seedDemoCatalog } from './seed.ts';
import { inbox, outbox } from './tables.ts';

export const inventoryTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
export const inventoryMigrations = { name: 'inventory' };

/** The inventory subgraph (products and stock) and its saga participant. Never listens itself. */
export async function createInventoryService(deps: ServiceDeps): Promise<Service> {
  const { db, config } = deps;
  if (config.seedDemoCatalog) await seedDemoCatalog(db);
  return createSubgraphService(deps, {
    name: 'inventory',
    typeDefs: inventoryTypeDefs,
    tables: { outbox, inbox },
    handlers: inventoryHandlers,
    topics: [topics.inventoryCommands],
    resolvers: () => inventoryResolvers(db),
    extendContext: (base) => ({ ...base, products: productLoader(db) }),
  });
}
