import { asc, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/client.ts';
import { noFaults, type Faults } from '../platform/faults.ts';
import type { Logger } from '../platform/logger.ts';
import { messages } from './contract.ts';
import { encode, type Envelope } from './envelope.ts';
import type { MessagingTables } from './tables.ts';
import type { OutgoingMessage, Transport } from './transport.ts';

type Outbox = MessagingTables['outbox'];

/** Stores messages for publishing, inside the caller's transaction. */
export async function writeOutbox(tx: Db, outbox: Outbox, envelopes: Envelope[]): Promise<void> {
  if (envelopes.length === 0) return;
  await tx.insert(outbox).values(
    envelopes.map((e) => ({ messageId: e.id, topic: messages[e.type].topic, key: e.key, type: e.type, envelope: e })),
  );
}

export interface OutboxRelay {
  /** Publish soon: called after a transaction that wrote to the outbox committed. */
  nudge(): void;
  /** Publishes one batch; resolves to how many messages went out. */
  relayOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Publishes committed outbox rows in id order and marks them published. A transaction-scoped
 * advisory lock lets one replica relay a service's outbox at a time, which keeps messages of one
 * key in commit order; the others skip. A crash after publishing and before marking means the
 * batch is published again: consumers dedupe by message id.
 */
export function startOutboxRelay({
  db,
  outbox,
  transport,
  lockName,
  pollMs,
  logger,
  batchSize = 200,
  faults = noFaults,
}: {
  db: Db;
  outbox: Outbox;
  transport: Transport;
  lockName: string;
  pollMs: number;
  logger: Logger;
  batchSize?: number;
  faults?: Faults;
}): OutboxRelay {
  let stopped = false;
  let current: Promise<void> | undefined;
  let pending = false;

  const relayOnce = (): Promise<number> =>
    db.transaction(async (tx) => {
      const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(hashtext(${'outbox:' + lockName})) as locked`));
      if (!lock?.locked) return 0;
      const rows = await tx.select().from(outbox).where(isNull(outbox.publishedAt)).orderBy(asc(outbox.id)).limit(batchSize);
      if (rows.length === 0) return 0;
      faults.crashAt('outbox.crashBeforePublish');
      // The whole batch goes out as one request, in id order within each topic (and so per key).
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const row of rows) {
        let list = byTopic.get(row.topic);
        if (!list) byTopic.set(row.topic, (list = []));
        list.push(encode(row.envelope as Envelope));
      }
      await transport.publishBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      faults.crashAt('outbox.crashAfterPublish');
      await tx.update(outbox).set({ publishedAt: new Date() }).where(inArray(outbox.id, rows.map((r) => r.id)));
      return rows.length;
    });

  // One drain at a time per process; a nudge during a drain makes it go round once more.
  const kick = (): void => {
    if (stopped) return;
    if (current) {
      pending = true;
      return;
    }
    current = (async () => {
      do {
        pending = false;
        try {
          // A short batch drained the outbox; rows committed since then nudge another round.
          while (!stopped && (await relayOnce()) === batchSize);
        } catch (err) {
          logger.warn({ err, outbox: lockName }, 'outbox relay failed; will retry');
        }
      } while (pending && !stopped);
    })().finally(() => {
      current = undefined;
    });
  };

  const timer = setInterval(kick, pollMs);
  kick();
  return {
    nudge: kick,
    relayOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
