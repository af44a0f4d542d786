import { lt, sql } from 'drizzle-orm';
import { bigserial, index, jsonb, type PgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Db } from '../db/index.ts';

/**
 * The outbox and inbox every service keeps in its own schema. Written in the same transaction as
 * the state change they belong to: the outbox holds what must be published, the inbox what was handled.
 */
export function messagingTables(schema: PgSchema) {
  const outbox = schema.table(
    'outbox',
    {
      id: bigserial('id', { mode: 'number' }).primaryKey(),
      messageId: uuid('message_id').notNull().unique(),
      topic: text('topic').notNull(),
      key: text('key').notNull(),
      type: text('type').notNull(),
      envelope: jsonb('envelope').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
      publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    },
    (t) => [index('outbox_unpublished_idx').on(t.id).where(sql`${t.publishedAt} is null`)],
  );
  const inbox = schema.table(
    'inbox',
    {
      consumer: text('consumer').notNull(),
      messageId: uuid('message_id').notNull(),
      type: text('type').notNull(),
      handledAt: timestamp('handled_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.consumer, t.messageId] })],
  );
  return { outbox, inbox };
}

export type MessagingTables = ReturnType<typeof messagingTables>;

/**
 * Deletes outbox rows published before `outboxBefore` and inbox entries handled before
 * `inboxBefore`. The inbox must outlive any redelivery: keep it longer than Kafka keeps messages.
 */
export async function pruneMessaging(
  db: Db,
  { outbox, inbox }: MessagingTables,
  { outboxBefore, inboxBefore }: { outboxBefore: Date; inboxBefore: Date },
): Promise<void> {
  await db.delete(outbox).where(lt(outbox.publishedAt, outboxBefore));
  await db.delete(inbox).where(lt(inbox.handledAt, inboxBefore));
}
