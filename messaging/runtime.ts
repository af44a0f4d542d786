import type { Db } from '../db/index.ts';
import type { Faults, Logger } from '../kernel/index.ts';
import { every, type HealthCheck } from '../kernel/index.ts';
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
}): Promise<{
  relay: OutboxRelay;
  stats(): { relay: RelayStats; consumer?: ConsumerStats };
  /** Readiness: the relay is not wedged, and the consumer (if any) is a member of its group. */
  checks: HealthCheck[];
  stop(): Promise<void>;
}> {
  const relay = startOutboxRelay({ db, outbox: tables.outbox, transport, lockName: name, pollMs, logger, faults });
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
