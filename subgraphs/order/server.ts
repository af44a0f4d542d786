import { topics } from '../../messaging/contract.ts';
import { readSchema } from '../../platform/subgraph.ts';
import { createSubgraphService } from '../../platform/subgraph-service.ts';
import type { Service, ServiceDeps } from '../../platform/service.ts';
import { createInventoryCatalog, type Catalog } from './catalog.ts';
import { orderHandlers } from './messages.ts';
import { itemsLoader, orderResolvers } from './resolvers.ts';
import { inbox, outbox } from './tables.ts';
import { createOrderSagaEngine } from './workflow.ts';

export const orderTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
/** The order service's migrations create two schemas: its orders and the saga engine's instances. */
export const orderMigrations = { name: 'order' };

/** The order subgraph and the order saga's orchestrator. Never listens itself. */
export function createOrderService(deps: ServiceDeps, { catalog }: { catalog?: Catalog } = {}): Promise<Service> {
  const { db, config, cache } = deps;
  const engine = createOrderSagaEngine({ deadlineMs: config.sagaDeadlineMs });
  return createSubgraphService(deps, {
    name: 'order',
    typeDefs: orderTypeDefs,
    tables: { outbox, inbox },
    handlers: orderHandlers(engine),
    topics: [topics.sagaReplies],
    resolvers: (relay) =>
      orderResolvers({
        db,
        engine,
        catalog: catalog ?? createInventoryCatalog({ url: config.subgraphUrls.inventory, cache, ttlSeconds: config.cacheTtlSeconds }),
        afterCommit: relay.nudge,
      }),
    extendContext: (base) => ({ ...base, items: itemsLoader(db) }),
  });
}
