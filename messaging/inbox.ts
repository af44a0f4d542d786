import type { Db } from '../db/client.ts';
import { noFaults, type Faults } from '../platform/faults.ts';
import type { Logger } from '../platform/logger.ts';
import { deadLetterTopic, type MessageType } from './contract.ts';
import { decode, InvalidMessageError, type Envelope } from './envelope.ts';
import type { MessagingTables } from './tables.ts';
import type { IncomingMessage, Transport } from './transport.ts';

/** Handles one message type inside the transaction that records it in the inbox. */
export type HandleFn<T extends MessageType, P = undefined> = (envelope: Envelope<T>, tx: Db, prepared: P) => Promise<void>;

/**
 * A handler is a function run in the inbox transaction, or a pair whose `prepare` runs first,
 * outside any transaction: for calls to the outside world (a payment provider) that must not hold
 * a database transaction open and that are idempotent themselves.
 */
export type Handler<T extends MessageType> = HandleFn<T> | { prepare: (envelope: Envelope<T>) => Promise<unknown>; handle: HandleFn<T, never> };
export type Handlers = { [T in MessageType]?: Handler<T> };

/** A failure that no retry can fix: the message goes to the dead-letter topic. */
export class NonRetriableError extends Error {
  readonly retriable = false;
  override name = 'NonRetriableError';
}

const isNonRetriable = (err: unknown) =>
  err instanceof InvalidMessageError || err instanceof NonRetriableError || (err as { retriable?: unknown })?.retriable === false;

const infrastructureCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

/**
 * The database (or network) is unavailable: the message is fine and must wait, however long.
 * PostgreSQL classes 08 (connection), 53 (resources) and 57P (shutdown) say so too.
 */
export function isInfrastructureOutage(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (infrastructureCodes.has(code) || /^(08|53|57P)/.test(code))) return true;
  }
  return false;
}

/**
 * Wraps handlers into an idempotent consumer: the message id is inserted into the inbox in the same
 * transaction as the effect, so a redelivered message finds its id and does nothing. Messages that
 * cannot be handled — invalid, a non-retriable failure, or `maxAttempts` failures in a row — go to
 * `<topic>.dlq` with the reason in a header and the consumer moves on; other failures throw, and
 * the transport hands the message over again. An infrastructure outage is retried without bound.
 */
export function inboxConsumer({
  db,
  inbox,
  consumer,
  transport,
  handlers,
  logger,
  afterCommit,
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
  maxAttempts?: number;
  faults?: Faults;
}): (message: IncomingMessage) => Promise<void> {
  const failures = new Map<string, number>();

  const deadLetter = async (message: IncomingMessage, reason: string) => {
    logger.error({ topic: message.topic, offset: message.offset, key: message.key, reason }, 'message dead-lettered');
    await transport.publish(deadLetterTopic(message.topic), [
      {
        key: message.key,
        value: message.value,
        headers: { ...message.headers, 'dlq-reason': reason, 'dlq-consumer': consumer, 'dlq-source': `${message.topic}/${message.partition}/${message.offset}` },
      },
    ]);
  };

  return async (message) => {
    const position = `${message.topic}/${message.partition}/${message.offset}`;
    try {
      const envelope = decode(message);
      const handler = handlers[envelope.type] as Handler<MessageType> | undefined;
      if (!handler) return; // Another consumer's message on a shared topic.
      const prepared = typeof handler === 'function' ? undefined : await handler.prepare(envelope);
      const handle = (typeof handler === 'function' ? handler : handler.handle) as HandleFn<MessageType, unknown>;
      const handled = await db.transaction(async (tx) => {
        const fresh = await tx
          .insert(inbox)
          .values({ consumer, messageId: envelope.id, type: envelope.type })
          .onConflictDoNothing()
          .returning({ id: inbox.messageId });
        if (fresh.length === 0) return false;
        await handle(envelope, tx, prepared);
        return true;
      });
      failures.delete(position);
      faults.crashAt('inbox.crashAfterCommit');
      if (handled) afterCommit?.();
      else logger.debug({ messageId: envelope.id, type: envelope.type }, 'duplicate message skipped');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (isNonRetriable(err)) return deadLetter(message, reason);
      if (isInfrastructureOutage(err)) throw err;
      const attempts = (failures.get(position) ?? 0) + 1;
      if (attempts >= maxAttempts) {
        failures.delete(position);
        return deadLetter(message, `failed ${attempts} times: ${reason}`);
      }
      failures.set(position, attempts);
      throw err;
    }
  };
}
