import { topics } from '../../messaging/contract.ts';
import { startMessaging } from '../../messaging/runtime.ts';
import { createSubgraph, readSchema } from '../../platform/subgraph.ts';
import type { Service, ServiceDeps } from '../../platform/service.ts';
import { createInventoryCatalog, type Catalog } from './catalog.ts';
import { orderHandlers } from './messages.ts';
import { itemsLoader, orderResolvers } from './resolvers.ts';
import { inbox, outbox } from './tables.ts';
import { createOrderSagaEngine } from './workflow.ts';

export const orderTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
/** The order service owns two schemas: its orders and the saga engine's instances. */
export const orderMigrations = { name: 'order', schema: 'orders' };

/** The order subgraph and the order saga's orchestrator. Never listens itself. */
export async function createOrderService(deps: ServiceDeps, { catalog }: { catalog?: Catalog } = {}): Promise<Service> {
  const { db, transport, config, logger, verifier, cache } = deps;
  const log = logger.child({ service: 'order' });
  const engine = createOrderSagaEngine({ deadlineMs: config.sagaDeadlineMs });
  const messaging = await startMessaging({
    name: 'order',
    db,
    tables: { outbox, inbox },
    transport,
    handlers: orderHandlers(engine),
    topics: [topics.sagaReplies],
    pollMs: config.outboxPollMs,
    logger: log,
  });
  const { handler, apollo } = await createSubgraph({
    typeDefs: orderTypeDefs,
    resolvers: orderResolvers({
      db,
      engine,
      catalog: catalog ?? createInventoryCatalog({ url: config.subgraphUrls.inventory, cache, ttlSeconds: config.cacheTtlSeconds }),
      afterCommit: messaging.relay.nudge,
    }),
    verifier,
    extendContext: (base) => ({ ...base, items: itemsLoader(db) }),
  });
  return {
    name: 'order',
    graphql: handler,
    async stop() {
      await messaging.stop();
      await apollo.stop();
    },
  };
}
