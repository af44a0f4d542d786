import { isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import type { Faults, Logger } from '../kernel/index.ts';
import { every, type HealthCheck, type Metrics, sharedRead } from '../kernel/index.ts';
import { type BeforeBatch, type ConsumerStats, type Handlers, inboxConsumer } from './inbox.ts';
import { type OutboxRelay, type RelayStats, startOutboxRelay } from './outbox.ts';
import { type MessagingTables, pruneMessaging } from './tables.ts';
import type { Subscription, Transport } from './transport.ts';

/**
 * A service's messaging: the relay that publishes its outbox and, if it handles messages, its
 * idempotent consumer. A handled message nudges the relay so replies leave at once.
 */
export async function startMessaging({
  name,
  db,
  tables,
  transport,
  handlers,
  topics,
  pollMs,
  logger,
  maxAttempts,
  faults,
  retention,
  onCommitted,
  beforeBatch,
  metrics,
  schemaVersion,
}: {
  name: string;
  db: Db;
  tables: MessagingTables;
  transport: Transport;
  handlers: Handlers;
  topics: string[];
  pollMs: number;
  logger: Logger;
  maxAttempts?: number;
  faults?: Faults;
  /** How long published outbox rows and handled inbox entries are kept. */
  retention?: { outboxMs: number; inboxMs: number };
  /** Called after each handled batch's transaction committed (cache invalidation). */
  onCommitted?: () => void;
  /** Runs first in each batch's transaction (locks in a fixed order). */
  beforeBatch?: BeforeBatch;
  /** Where the outbox, relay and consumer are measured (`messagingMetrics`). */
  metrics?: Metrics;
  /** The schema version the relay writes messages in (default: the current one; see contract.ts). */
  schemaVersion?: number;
}): Promise<{
  relay: OutboxRelay;
  stats(): { relay: RelayStats; consumer?: ConsumerStats };
  /** Readiness: the relay is not wedged, and the consumer (if any) is a member of its group. */
  checks: HealthCheck[];
  stop(): Promise<void>;
}> {
  const relay = startOutboxRelay({
    db,
    outbox: tables.outbox,
    transport,
    lockName: name,
    pollMs,
    logger,
    faults,
    schemaVersion,
  });
  let subscription: Subscription | undefined;
  let consumer: ReturnType<typeof inboxConsumer> | undefined;
  if (topics.length > 0) {
    consumer = inboxConsumer({
      db,
      inbox: tables.inbox,
      consumer: name,
      transport,
      handlers,
      logger,
      afterCommit: () => {
        relay.nudge();
        onCommitted?.();
      },
      beforeBatch,
      maxAttempts,
      faults,
    });
    subscription = await transport.subscribe({
      groupId: name,
      topics,
      // A new group starts at the beginning: nothing published before the first start is missed,
      // so the service need not wait for its partitions before it serves.
      fromBeginning: true,
      awaitAssignment: false,
      handleBatch: consumer,
    });
  }
  const stopPruning = retention
    ? every(
        Math.min(retention.outboxMs, 10 * 60_000),
        () =>
          pruneMessaging(db, tables, {
            outboxBefore: new Date(Date.now() - retention.outboxMs),
            inboxBefore: new Date(Date.now() - retention.inboxMs),
          }),
        logger,
        'pruning the outbox and inbox',
      )
    : undefined;
  if (metrics) messagingMetrics(metrics, { db, tables, relay, consumer, lag: () => transport.lag(name, topics) });
  const checks: HealthCheck[] = [{ name: 'outbox-relay', critical: true, check: () => relay.check() }];
  if (subscription) {
    const joined = subscription;
    checks.push({
      name: 'consumer',
      critical: true,
      check: () => {
        if (!joined.joined())
          throw new Error(`not a member of consumer group ${name} (joining, or the broker is away)`);
      },
    });
  }
  return {
    relay,
    checks,
    stats: () => ({ relay: relay.stats(), ...(consumer ? { consumer: consumer.stats() } : {}) }),
    async stop() {
      await stopPruning?.();
      await subscription?.close();
      await relay.stop();
    },
  };
}

/**
 * The outbox's backlog (rows not yet published and the age of the oldest, read at each scrape on
 * the index of unpublished rows), messages the relay published, messages the consumer handled, and
 * dead letters by source topic and kind.
 */
function messagingMetrics(
  metrics: Metrics,
  {
    db,
    tables,
    relay,
    consumer,
    lag,
  }: {
    db: Db;
    tables: MessagingTables;
    relay: OutboxRelay;
    consumer?: { stats(): ConsumerStats };
    /** Messages of each topic the consumer's group has not handled yet. */
    lag: () => Promise<Record<string, number>>;
  },
) {
  // One query serves both gauges of a scrape.
  const readBacklog = sharedRead(() =>
    db
      .select({
        pending: sql<number>`count(*)::int`,
        oldestSeconds: sql<number>`coalesce(extract(epoch from now() - min(${tables.outbox.createdAt})), 0)::float8`,
      })
      .from(tables.outbox)
      .where(isNull(tables.outbox.publishedAt))
      .then(([row]) => ({ pending: Number(row?.pending ?? 0), oldestSeconds: Number(row?.oldestSeconds ?? 0) })),
  );
  metrics.gauge('sagaway_outbox_pending_messages', 'Outbox rows committed and not yet published', [], async (g) =>
    g.set((await readBacklog()).pending),
  );
  metrics.gauge(
    'sagaway_outbox_oldest_pending_age_seconds',
    'How long the oldest unpublished outbox row has waited (0: none waits)',
    [],
    async (g) => g.set((await readBacklog()).oldestSeconds),
  );
  metrics.counterOf('sagaway_outbox_published_total', 'Messages the outbox relay published', [], () => [
    [{}, relay.stats().published],
  ]);
  if (!consumer) return;
  metrics.gauge(
    'sagaway_consumer_lag_messages',
    "Messages of a topic this service's consumer group has not handled yet (committed every 250 ms)",
    ['topic'],
    async (g) => {
      for (const [topic, n] of Object.entries(await lag())) g.set({ topic }, n);
    },
  );
  metrics.counterOf('sagaway_messages_consumed_total', "Messages handed to this service's consumer", [], () => [
    [{}, consumer.stats().messages],
  ]);
  metrics.counterOf(
    'sagaway_dead_letters_total',
    'Messages sent to a dead-letter topic: invalid (no retry can fix it) or exhausted (failed every attempt)',
    ['topic', 'reason'],
    () =>
      Object.entries(consumer.stats().deadLetters).flatMap(([topic, kinds]) =>
        Object.entries(kinds).map(
          ([reason, n]) => [{ topic, reason }, n] as [{ topic: string; reason: string }, number],
        ),
      ),
  );
  metrics.counterOf(
    'sagaway_dead_letter_replays_total',
    'Messages replayed from a dead-letter topic that this service consumed again',
    ['topic'],
    () => Object.entries(consumer.stats().replayed).map(([topic, n]) => [{ topic }, n]),
  );
}
