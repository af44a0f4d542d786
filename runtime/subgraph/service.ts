import type { ServiceName } from '../../kernel/index.ts';
import { acceptingAssertions, cacheRequestsMetric } from '../../kernel/index.ts';
import type { BeforeBatch, Handlers, MessagingTables, OutboxRelay } from '../../messaging/index.ts';
import { startMessaging } from '../../messaging/index.ts';
import type { Service, ServiceDeps } from '../service.ts';
import { createSubgraph, type SubgraphContext } from './server.ts';

/**
 * The shape every subgraph service shares: its messaging (outbox relay and idempotent consumer of
 * `topics`) starts first, then its GraphQL server, whose resolvers may nudge the relay after a commit.
 */
export async function createSubgraphService<C extends SubgraphContext>(
  { db, transport, config, logger, verifier, metrics }: ServiceDeps,
  {
    name,
    typeDefs,
    tables,
    handlers,
    topics,
    resolvers,
    extendContext,
    background,
    onCommitted,
    beforeBatch,
    stats,
    caches = {},
  }: {
    name: ServiceName;
    typeDefs: string;
    tables: MessagingTables;
    handlers: Handlers;
    topics: string[];
    resolvers: (relay: OutboxRelay) => object;
    extendContext: (base: SubgraphContext) => C;
    /** Work the service does on its own (timers, sweepers); returns how to stop it. */
    background?: (relay: OutboxRelay) => () => Promise<void>;
    /** Called after each handled batch of messages committed. */
    onCommitted?: () => void;
    /** Runs first in the transaction of each batch of messages. */
    beforeBatch?: BeforeBatch;
    /** Counters served at `/stats` (cache hits and misses). */
    stats?: () => Record<string, unknown>;
    /** Its read models in Redis, by name: their hits and misses are measured. */
    caches?: Record<string, { stats(): { hits: number; misses: number } }>;
  },
): Promise<Service> {
  const messaging = await startMessaging({
    name,
    db,
    tables,
    transport,
    handlers,
    topics,
    pollMs: config.outboxPollMs,
    logger: logger.child({ service: name }),
    maxAttempts: config.consumerMaxAttempts,
    faults: config.faults,
    onCommitted,
    beforeBatch,
    metrics,
    schemaVersion: config.messageSchemaVersion,
    retention: { outboxMs: config.outboxRetentionHours * 3_600_000, inboxMs: config.inboxRetentionHours * 3_600_000 },
  });
  const { handler, apollo } = await createSubgraph({
    typeDefs,
    resolvers: resolvers(messaging.relay),
    // People's tokens as the identity provider issued them, and the gateway's own assertions (API keys).
    verifier: acceptingAssertions(verifier, config.gatewaySecret),
    extendContext,
    logger: logger.child({ service: name }),
    metrics,
    guard: { gatewaySecret: config.gatewaySecret, limits: config.limits, production: config.mode === 'production' },
  });
  const stopBackground = background?.(messaging.relay);
  cacheRequestsMetric(metrics, () =>
    Object.entries(caches).flatMap(([cache, model]) => {
      const { hits, misses } = model.stats();
      return [
        [cache, 'hit', hits],
        [cache, 'miss', misses],
      ] as [string, string, number][];
    }),
  );
  return {
    name,
    graphql: handler,
    stats: () => ({ ...messaging.stats(), ...stats?.() }),
    checks: messaging.checks,
    async stop() {
      await stopBackground?.();
      await apollo.stop();
      await messaging.stop();
    },
  };
}
