import { createReadModel, type ReadModel } from '../../cache/index.ts';
import type { Db } from '../../db/index.ts';
import { createSealer, every } from '../../kernel/index.ts';
import { topics } from '../../messaging/index.ts';
import type { Service, ServiceDeps } from '../../runtime/index.ts';
import { createSubgraphService, readSchema } from '../../runtime/subgraph/index.ts';
import type { SagaEngine } from '../../saga/index.ts';
import { createAdmission, sagaMetrics, sagaObserver } from '../../saga/index.ts';
import { createLocalCatalog } from './catalog.ts';
import { orderHandlers } from './handlers.ts';
import { itemsOfOrders, listOrders } from './repository.ts';
import { orderResolvers } from './resolvers.ts';
import type { OrderSagaData } from './saga.ts';
import { createOrderSagaEngine } from './saga-host.ts';
import { inbox, outbox } from './tables.ts';
import { itemsLoader, type OrderView, orderLoader, sagaLoader } from './views.ts';

export const orderTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
/** The order service's migrations create two schemas: its orders and the saga engine's instances. */
export const orderMigrations = { name: 'order' };

/** The order subgraph and the order saga's orchestrator. Never listens itself. */
export async function createOrderService(deps: ServiceDeps): Promise<Service> {
  const { db, config, logger, cache } = deps;
  // The order read model: a saga change forgets the order's view once it commits; the gateway marks
  // views older than each status event stale before it delivers the event.
  const views = createReadModel<OrderView>(cache, 'order', config.cacheTtlSeconds);
  const touched = new Set<string>();
  const forgetTouched = () => {
    const ids = [...touched];
    touched.clear();
    void views.evict(ids);
  };
  const engine = createOrderSagaEngine({
    deadlineMs: config.sagaDeadlineMs,
    backoffMs: config.sagaRetryBackoffMs,
    touched,
    logger: logger.child({ service: 'order' }),
    observe: sagaObserver(deps.metrics, 'order'),
  });
  sagaMetrics(deps.metrics, { saga: 'order', engine: engine as SagaEngine<unknown>, db });
  const admission = createAdmission(config.admission);
  let sampledAt = Date.now();
  const sampleBacklog = async () => {
    const at = Date.now();
    admission.observe(await engine.backlog(db, new Date(sampledAt)), at);
    sampledAt = at;
  };
  const service = await createSubgraphService(deps, {
    name: 'order',
    typeDefs: orderTypeDefs,
    tables: { outbox, inbox },
    handlers: orderHandlers(engine),
    topics: [topics.sagaReplies, topics.inventoryEvents],
    resolvers: (relay) =>
      orderResolvers({
        db,
        engine,
        admission,
        caps: config.openOrders,
        sealer: createSealer(config.paymentTokenKeys),
        catalog: createLocalCatalog(db),
        views,
        afterCommit: () => {
          relay.nudge();
          forgetTouched();
        },
      }),
    extendContext: (base) => ({
      ...base,
      items: itemsLoader(db),
      sagas: sagaLoader(db, engine),
      orders: orderLoader(db),
    }),
    background: (relay) => {
      const log = logger.child({ service: 'order' });
      // Deadlines and retries: any replica may sweep; row locks keep two from moving one saga.
      const stopSweeping = every(
        config.sagaSweepMs,
        async () => {
          if ((await engine.sweep(db)) === 0) return;
          relay.nudge();
          forgetTouched();
        },
        log,
        'saga sweep',
      );
      // Admission reads the shared backlog a few times a second, whichever replica admits.
      const stopSampling = every(config.admission.sampleMs, sampleBacklog, log, 'sampling the saga backlog');
      return async () => {
        await stopSweeping();
        await stopSampling();
      };
    },
    onCommitted: forgetTouched,
    stats: () => ({ orderCache: views.stats(), admission: admission.stats() }),
    caches: { order_view: views },
  });
  await sampleBacklog().catch((err: unknown) => logger.warn({ err }, 'sampling the saga backlog failed'));
  await warmOrderViews(db, engine, views).catch((err: unknown) =>
    logger.warn({ err }, 'warming the order views failed'),
  );
  return service;
}

/** Puts the views of the newest orders in the cache, so the first readers after a start hit. */
export async function warmOrderViews(
  db: Db,
  engine: SagaEngine<OrderSagaData>,
  views: ReadModel<OrderView>,
  count = 100,
): Promise<void> {
  const newest = (await listOrders(db, { limit: count })).slice(0, count);
  const ids = newest.map((o) => o.id);
  const [items, sagas] = await Promise.all([itemsOfOrders(db, ids), engine.findManyByKeys(db, ids)]);
  for (const order of newest) {
    const saga = sagas.find((s) => s.businessKey === order.id);
    if (saga)
      await views.put(order.id, order.version, {
        order,
        items: items.filter((i) => i.orderId === order.id),
        saga: saga.row,
      });
  }
}
