import { type Db, transaction } from '../db/index.ts';
import type { Logger } from '../kernel/index.ts';
import { type Faults, isInfrastructureOutage, noFaults } from '../kernel/index.ts';
import { deadLetterTopic, type MessageType } from './contract.ts';
import { decode, type Envelope, InvalidMessageError } from './envelope.ts';
import { batchingOutbox } from './outbox.ts';
import type { MessagingTables } from './tables.ts';
import { inProcessSpan } from './tracing.ts';
import type { IncomingMessage, Transport } from './transport.ts';

/** Handles one message type inside the transaction that records it in the inbox. */
export type HandleFn<T extends MessageType, P = undefined> = (
  envelope: Envelope<T>,
  tx: Db,
  prepared: P,
) => Promise<void>;

/**
 * A handler is a function run in the inbox transaction, or a pair whose `prepare` runs first,
 * outside any transaction: for calls to the outside world (a payment provider) that must not hold
 * a database transaction open and that are idempotent themselves.
 */
export type Handler<T extends MessageType> =
  | HandleFn<T>
  | { prepare: (envelope: Envelope<T>) => Promise<unknown>; handle: HandleFn<T, never> };
export type Handlers = { [T in MessageType]?: Handler<T> };

/** A failure that no retry can fix (an invalid message, or an error with `retriable: false`): the message goes to the dead-letter topic. */
const isNonRetriable = (err: unknown) =>
  err instanceof InvalidMessageError || (err as { retriable?: unknown })?.retriable === false;

/** Runs before the handlers of a batch, in its transaction: a service takes its locks in a fixed order here. */
export type BeforeBatch = (tx: Db, envelopes: Envelope[]) => Promise<void>;

interface Decoded {
  message: IncomingMessage;
  envelope: Envelope;
  handler: Handler<MessageType>;
  /** What `prepare` returned, outside the transaction. */
  prepared?: unknown;
}

const prepareOf = (handler: Handler<MessageType>) => (typeof handler === 'function' ? undefined : handler.prepare);
const handleOf = (handler: Handler<MessageType>) =>
  (typeof handler === 'function' ? handler : handler.handle) as HandleFn<MessageType, unknown>;

/**
 * Wraps handlers into an idempotent consumer of batches: the ids of a batch's messages are inserted
 * into the inbox in the one transaction that runs their effects, so a redelivered message finds its
 * id and does nothing, and a batch costs one commit. When a batch fails for any reason but an
 * outage, its messages are handled one at a time, each in its own transaction, so that one message
 * that cannot be handled — invalid, a non-retriable failure, or `maxAttempts` failures in a row —
 * goes to `<topic>.dlq` with the reason in a header without holding back the others. An
 * infrastructure outage is thrown, and the transport hands the batch over again, without bound.
 */
export function inboxConsumer({
  db,
  inbox,
  consumer,
  transport,
  handlers,
  logger,
  afterCommit,
  beforeBatch,
  maxAttempts = 10,
  faults = noFaults,
}: {
  db: Db;
  inbox: MessagingTables['inbox'];
  consumer: string;
  transport: Transport;
  handlers: Handlers;
  logger: Logger;
  afterCommit?: () => void;
  beforeBatch?: BeforeBatch;
  maxAttempts?: number;
  faults?: Faults;
}): ((messages: IncomingMessage[]) => Promise<void>) & { stats(): ConsumerStats } {
  const failures = new Map<string, number>();
  const counts: ConsumerStats = {
    batches: 0,
    messages: 0,
    transactions: 0,
    oneByOne: 0,
    deadLettered: 0,
    deadLetters: {},
    replayed: {},
  };

  const deadLetter = async (message: IncomingMessage, reason: string, kind: DeadLetterKind) => {
    counts.deadLettered++;
    counts.deadLetters[message.topic] ??= { invalid: 0, exhausted: 0 };
    counts.deadLetters[message.topic]![kind]++;
    logger.error({ topic: message.topic, offset: message.offset, key: message.key, reason }, 'message dead-lettered');
    await transport.publish(deadLetterTopic(message.topic), [
      {
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          'dlq-reason': reason,
          'dlq-consumer': consumer,
          'dlq-source': `${message.topic}/${message.partition}/${message.offset}`,
        },
      },
    ]);
  };

  /** Runs the prepared handlers of `items` in one transaction; returns how many were new. */
  const commit = async (items: Decoded[]): Promise<number> => {
    counts.transactions++;
    const handled = await transaction(db, async (tx) => {
      const fresh = new Set(
        (
          await tx
            .insert(inbox)
            .values(items.map(({ envelope }) => ({ consumer, messageId: envelope.id, type: envelope.type })))
            .onConflictDoNothing()
            .returning({ id: inbox.messageId })
        ).map((r) => r.id),
      );
      if (fresh.size === 0) return 0;
      const todo = items.filter(({ envelope }) => fresh.delete(envelope.id)); // a repeated id runs once
      if (faults.fire('consumer.handleFail')) throw new Error('injected failure of the handler');
      await batchingOutbox(tx, async () => {
        await beforeBatch?.(
          tx,
          todo.map((d) => d.envelope),
        );
        for (const item of todo)
          await inProcessSpan(item.message, item.envelope, consumer, () =>
            handleOf(item.handler)(item.envelope, tx, item.prepared),
          );
      });
      return todo.length;
    });
    faults.crashAt('inbox.crashAfterCommit');
    if (handled > 0) afterCommit?.();
    if (handled < items.length) logger.debug({ duplicates: items.length - handled }, 'duplicate messages skipped');
    return handled;
  };

  /** One message in its own transaction, with its failures counted towards the dead-letter topic. */
  const one = async (message: IncomingMessage): Promise<void> => {
    const position = `${message.topic}/${message.partition}/${message.offset}`;
    try {
      const envelope = decode(message);
      const handler = handlers[envelope.type] as Handler<MessageType> | undefined;
      if (!handler) return; // Another consumer's message on a shared topic.
      await commit([{ message, envelope, handler, prepared: await prepareOf(handler)?.(envelope as never) }]);
      failures.delete(position);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (isNonRetriable(err)) return deadLetter(message, reason, 'invalid');
      if (isInfrastructureOutage(err)) throw err;
      const attempts = (failures.get(position) ?? 0) + 1;
      if (attempts >= maxAttempts) {
        failures.delete(position);
        return deadLetter(message, `failed ${attempts} times: ${reason}`, 'exhausted');
      }
      failures.set(position, attempts);
      throw err;
    }
  };

  const consume = async (messages: IncomingMessage[]): Promise<void> => {
    counts.batches++;
    counts.messages += messages.length;
    for (const message of messages)
      if (message.headers['dlq-replays']) counts.replayed[message.topic] = (counts.replayed[message.topic] ?? 0) + 1;
    if (messages.length === 1) return one(messages[0]!);
    const items: Decoded[] = [];
    for (const message of messages) {
      let envelope: Envelope;
      try {
        envelope = decode(message);
      } catch {
        return oneByOne(messages); // the invalid one is dead-lettered in its turn
      }
      const handler = handlers[envelope.type] as Handler<MessageType> | undefined;
      if (handler) items.push({ message, envelope, handler });
    }
    if (items.length === 0) return;
    try {
      // `prepare` reads committed state: a message whose order has an earlier one in this batch
      // would not see that one's effect, so such a batch goes one message at a time.
      const keys = new Set<string>();
      for (const { envelope, handler } of items) {
        if (prepareOf(handler) && keys.has(envelope.key)) return oneByOne(messages);
        keys.add(envelope.key);
      }
      for (const item of items) item.prepared = await prepareOf(item.handler)?.(item.envelope as never);
      await commit(items);
    } catch (err) {
      if (isInfrastructureOutage(err)) throw err;
      logger.debug({ err, count: messages.length }, 'batch failed; handling its messages one at a time');
      return oneByOne(messages);
    }
  };

  async function oneByOne(messages: IncomingMessage[]): Promise<void> {
    counts.oneByOne++;
    for (const message of messages) await one(message);
  }

  return Object.assign(consume, { stats: () => ({ ...counts }) });
}

/** What a consumer did since it started: batches handed over, transactions, fallbacks, dead letters. */
export interface ConsumerStats {
  batches: number;
  messages: number;
  transactions: number;
  /** Batches that failed whole and were handled one message at a time. */
  oneByOne: number;
  deadLettered: number;
  /** Dead letters by source topic and why: a message no retry can fix, or one that failed every attempt. */
  deadLetters: Record<string, Record<DeadLetterKind, number>>;
  /** Messages replayed from a dead-letter topic (`npm run dlq -- replay`) handed over again, by topic. */
  replayed: Record<string, number>;
}

export type DeadLetterKind = 'invalid' | 'exhausted';
