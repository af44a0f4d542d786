import { topics } from '../../messaging/contract.ts';
import { startMessaging } from '../../messaging/runtime.ts';
import { createSubgraph, readSchema } from '../../platform/subgraph.ts';
import type { ServiceDeps, Service } from '../../platform/service.ts';
import { inventoryHandlers } from './messages.ts';
import { seedDemoCatalog } from './seed.ts';
import { inventoryResolvers, productLoader } from './resolvers.ts';
import { inbox, outbox } from './tables.ts';

export const inventoryTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
export const inventoryMigrations = { name: 'inventory', schema: 'inventory' };

/** The inventory subgraph (products and stock) and its saga participant. Never listens itself. */
export async function createInventoryService({ db, transport, config, logger, verifier }: ServiceDeps): Promise<Service> {
  const log = logger.child({ service: 'inventory' });
  if (config.seedDemoCatalog) await seedDemoCatalog(db);
  const { handler, apollo } = await createSubgraph({
    typeDefs: inventoryTypeDefs,
    resolvers: inventoryResolvers(db),
    verifier,
    extendContext: (base) => ({ ...base, products: productLoader(db) }),
  });
  const messaging = await startMessaging({
    name: 'inventory',
    db,
    tables: { outbox, inbox },
    transport,
    handlers: inventoryHandlers,
    topics: [topics.inventoryCommands],
    pollMs: config.outboxPollMs,
    logger: log,
  });
  return {
    name: 'inventory',
    graphql: handler,
    async stop() {
      await messaging.stop();
      await apollo.stop();
    },
  };
}
