import { topics } from '../../messaging/contract.ts';
import { readSchema } from '../../platform/subgraph.ts';
import { createSubgraphService } from '../../platform/subgraph-service.ts';
import type { Service, ServiceDeps } from '../../platform/service.ts';
import { createLocalCatalog } from './catalog.ts';
import { orderHandlers } from './messages.ts';
import { itemsLoader, orderResolvers, sagaLoader } from './resolvers.ts';
import { every } from '../../platform/interval.ts';
import { inbox, outbox } from './tables.ts';
import { createOrderSagaEngine } from './workflow.ts';

export const orderTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
/** The order service's migrations create two schemas: its orders and the saga engine's instances. */
export const orderMigrations = { name: 'order' };

/** The order subgraph and the order saga's orchestrator. Never listens itself. */
export function createOrderService(deps: ServiceDeps): Promise<Service> {
  const { db, config, logger } = deps;
  const engine = createOrderSagaEngine({ deadlineMs: config.sagaDeadlineMs, backoffMs: config.sagaRetryBackoffMs });
  return createSubgraphService(deps, {
    name: 'order',
    typeDefs: orderTypeDefs,
    tables: { outbox, inbox },
    handlers: orderHandlers(engine),
    topics: [topics.sagaReplies, topics.inventoryEvents],
    resolvers: (relay) =>
      orderResolvers({
        db,
        engine,
        catalog: createLocalCatalog(db),
        afterCommit: relay.nudge,
      }),
    extendContext: (base) => ({ ...base, items: itemsLoader(db), sagas: sagaLoader(db, engine) }),
    // Deadlines and retries: any replica may sweep; row locks keep two from moving one saga.
    background: (relay) =>
      every(config.sagaSweepMs, async () => (await engine.sweep(db)) > 0 && relay.nudge(), logger.child({ service: 'order' }), 'saga sweep'),
  });
}
