import type { Span } from '@opentelemetry/api';
import { and, asc, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import type { Logger } from '../kernel/index.ts';
import { type Faults, noFaults } from '../kernel/index.ts';
import { messages, SCHEMA_VERSION } from './contract.ts';
import { assertWritable, type Envelope, encode } from './envelope.ts';
import type { MessagingTables } from './tables.ts';
import { detached, endSpan, startPublishSpan, type TraceCarrier } from './tracing.ts';
import type { OutgoingMessage, Transport } from './transport.ts';

type Outbox = MessagingTables['outbox'];

const outboxRows = (envelopes: Envelope[]) =>
  envelopes.map((e) => ({ messageId: e.id, topic: messages[e.type].topic, key: e.key, type: e.type, envelope: e }));

/** Appends `items` to the list `map` holds under `key`, starting one if there is none. */
function append<K, V>(map: Map<K, V[]>, key: K, items: V[]): void {
  const list = map.get(key);
  if (list) list.push(...items);
  else map.set(key, [...items]);
}

/** Outbox writes held per transaction by `batchingOutbox`, in the order they were made. */
const held = new WeakMap<Db, Map<Outbox, Envelope[]>>();

/**
 * Stores messages for publishing, inside the caller's transaction — at once, or, inside
 * `batchingOutbox`, with every other message of the transaction in one statement at its end.
 */
export async function writeOutbox(tx: Db, outbox: Outbox, envelopes: Envelope[]): Promise<void> {
  if (envelopes.length === 0) return;
  const buffer = held.get(tx);
  if (buffer) return append(buffer, outbox, envelopes);
  await tx.insert(outbox).values(outboxRows(envelopes));
}

/**
 * Runs `work` in `tx` with its outbox writes held and inserted together after it: a transaction
 * that handles a batch of messages writes all their messages in one round trip. The ids keep the
 * order in which the messages were written.
 */
export async function batchingOutbox<T>(tx: Db, work: () => Promise<T>): Promise<T> {
  const buffer = new Map<Outbox, Envelope[]>();
  held.set(tx, buffer);
  try {
    const result = await work();
    for (const [outbox, envelopes] of buffer) await tx.insert(outbox).values(outboxRows(envelopes));
    return result;
  } finally {
    held.delete(tx);
  }
}

/** Rounds the relay ran and messages it published since start. */
export interface RelayStats {
  rounds: number;
  published: number;
}

export interface OutboxRelay {
  /** Publish soon: called after a transaction that wrote to the outbox committed. */
  nudge(): void;
  stats(): RelayStats;
  /**
   * Throws when the relay is wedged: no round has finished well for `stallMs` (a round runs at
   * least every poll while it works, whether or not there is anything to publish).
   */
  check(): void;
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
  lingerMs = 2,
  faults = noFaults,
  stallMs = Math.max(10_000, 20 * pollMs),
  schemaVersion = SCHEMA_VERSION,
}: {
  db: Db;
  outbox: Outbox;
  transport: Transport;
  lockName: string;
  pollMs: number;
  logger: Logger;
  batchSize?: number;
  /** How long a nudge waits for more commits before the relay publishes. */
  lingerMs?: number;
  faults?: Faults;
  /** The schema version messages are written in: the previous one while old replicas still read (see contract.ts). */
  schemaVersion?: number;
  /** How long without a round that finished well before the relay counts as wedged. */
  stallMs?: number;
}): OutboxRelay {
  // At start, not at the first publish: a wrong MESSAGE_SCHEMA_VERSION stops the service at once.
  assertWritable(schemaVersion);
  let stopped = false;
  /** When a round last finished without an error (start-up counts as one). */
  let lastGoodRound = Date.now();
  let lastError: unknown;
  let current: Promise<void> | undefined;
  let pending = false;
  const counts: RelayStats = { rounds: 0, published: 0 };

  const relayOnce = (): Promise<number> =>
    db.transaction(async (tx) => {
      // One statement claims the batch: only while this transaction holds the service's relay lock
      // (another replica relaying gets nothing), marked published now, visible to others only if
      // the publish below succeeds and the transaction commits.
      const claimed = await tx
        .update(outbox)
        .set({ publishedAt: new Date() })
        .where(
          and(
            sql`pg_try_advisory_xact_lock(hashtext(${`outbox:${lockName}`}))`,
            inArray(
              outbox.id,
              tx
                .select({ id: outbox.id })
                .from(outbox)
                .where(isNull(outbox.publishedAt))
                .orderBy(asc(outbox.id))
                .limit(batchSize),
            ),
          ),
        )
        .returning({ id: outbox.id, topic: outbox.topic, envelope: outbox.envelope });
      counts.rounds++;
      if (claimed.length === 0) return 0;
      counts.published += claimed.length;
      const rows = claimed.sort((a, b) => a.id - b.id);
      faults.crashAt('outbox.crashBeforePublish');
      // The whole batch goes out as one request, in id order within each topic (and so per key).
      const byTopic = new Map<string, OutgoingMessage[]>();
      // A traced message gets a publish span, whose context its headers carry to the consumer.
      const spans: Span[] = [];
      for (const row of rows) {
        const envelope = row.envelope as Envelope;
        let headers: TraceCarrier = envelope;
        if (envelope.traceparent) {
          const publish = startPublishSpan(row.topic, envelope);
          spans.push(publish.span);
          headers = publish.headers;
        }
        append(byTopic, row.topic, [encode(envelope, headers, schemaVersion)]);
      }
      try {
        await transport.publishBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      } catch (err) {
        for (const span of spans) endSpan(span, err);
        throw err;
      }
      for (const span of spans) endSpan(span);
      faults.crashAt('outbox.crashAfterPublish');
      return rows.length;
    });

  // One drain at a time per process; a nudge during a drain makes it go round once more. A nudge
  // lingers `lingerMs` first, so the commits of that moment leave in one batch.
  let lingering: NodeJS.Timeout | undefined;
  const nudge = (): void => {
    if (stopped || lingering) return;
    // A round belongs to no one trace (it publishes many orders' messages): it runs outside the
    // context of whatever nudged it, each message under its own publish span.
    lingering = setTimeout(
      detached(() => {
        lingering = undefined;
        kick();
      }),
      lingerMs,
    );
  };
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
          while (!stopped && (await relayOnce()) === batchSize) lastGoodRound = Date.now();
          lastGoodRound = Date.now();
          lastError = undefined;
        } catch (err) {
          lastError = err;
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
    nudge,
    stats: () => ({ ...counts }),
    check() {
      const quiet = Date.now() - lastGoodRound;
      if (quiet <= stallMs) return;
      const why = lastError instanceof Error ? `: ${lastError.message}` : ', a round is still running';
      throw new Error(`no relay round finished well for ${Math.round(quiet / 1000)} s${why}`);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(lingering);
      await current;
    },
  };
}
