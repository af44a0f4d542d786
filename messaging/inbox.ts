import type { Db } from '../db/client.ts';
import type { Logger } from '../platform/logger.ts';
import { deadLetterTopic, type MessageType } from './contract.ts';
import { decode, InvalidMessageError, type Envelope } from './envelope.ts';
import type { MessagingTables } from './tables.ts';
import type { IncomingMessage, Transport } from './transport.ts';

/** Handles one message type inside the transaction that records it in the inbox. */
export type Handler<T extends MessageType> = (envelope: Envelope<T>, tx: Db) => Promise<void>;
export type Handlers = { [T in MessageType]?: Handler<T> };

/** A failure that no retry can fix: the message goes to the dead-letter topic. */
export class NonRetriableError extends Error {
  readonly retriable = false;
  override name = 'NonRetriableError';
}

const isNonRetriable = (err: unknown) =>
  err instanceof InvalidMessageError || err instanceof NonRetriableError || (err as { retriable?: unknown })?.retriable === false;

/**
 * Wraps handlers into an idempotent consumer: the message id is inserted into the inbox in the same
 * transaction as the effect, so a redelivered message finds its id and does nothing. Messages that
 * cannot be handled go to `<topic>.dlq` with the reason in a header; other failures throw, and the
 * transport hands the message over again.
 */
export function inboxConsumer({
  db,
  inbox,
  consumer,
  transport,
  handlers,
  logger,
  afterCommit,
}: {
  db: Db;
  inbox: MessagingTables['inbox'];
  consumer: string;
  transport: Transport;
  handlers: Handlers;
  logger: Logger;
  afterCommit?: () => void;
}): (message: IncomingMessage) => Promise<void> {
  return async (message) => {
    try {
      const envelope = decode(message);
      const handler = handlers[envelope.type] as Handler<MessageType> | undefined;
      if (!handler) return; // Another consumer's message on a shared topic.
      const handled = await db.transaction(async (tx) => {
        const fresh = await tx
          .insert(inbox)
          .values({ consumer, messageId: envelope.id, type: envelope.type })
          .onConflictDoNothing()
          .returning({ id: inbox.messageId });
        if (fresh.length === 0) return false;
        await handler(envelope, tx);
        return true;
      });
      if (handled) afterCommit?.();
      else logger.debug({ messageId: envelope.id, type: envelope.type }, 'duplicate message skipped');
    } catch (err) {
      if (!isNonRetriable(err)) throw err;
      logger.error({ err, topic: message.topic, offset: message.offset, key: message.key }, 'message dead-lettered');
      await transport.publish(deadLetterTopic(message.topic), [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-reason': err instanceof Error ? err.message : String(err),
            'dlq-consumer': consumer,
            'dlq-source': `${message.topic}/${message.partition}/${message.offset}`,
          },
        },
      ]);
    }
  };
}
