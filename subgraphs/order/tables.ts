import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { ActorKind, ApiKeyScope } from '../../kernel/index.ts';
import { finalOrderStatuses, messagingTables } from '../../messaging/index.ts';
import type { OrderStatus } from './order.ts';

/** `'COMPLETED', 'FAILED', 'CANCELLED'` as SQL literals (an index predicate takes no parameters). */
export const finalStatusList = sql.raw(finalOrderStatuses.map((status) => `'${status}'`).join(', '));

export const ordersSchema = pgSchema('orders');

export const orders = ordersSchema.table(
  'orders',
  {
    id: uuid('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    totalCents: bigint('total_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    failureReason: text('failure_reason'),
    idempotencyKey: text('idempotency_key'),
    /** What the request asked for (items, payment token), hashed: a key re-used for another request is refused. */
    requestHash: text('request_hash'),
    /** Bumped with every status change; subscribers see strictly increasing versions. */
    version: integer('version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    uniqueIndex('orders_customer_idempotency_idx').on(t.customerId, t.idempotencyKey),
    index('orders_customer_created_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    index('orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    // A customer's orders still running: what the cap on open orders and units counts.
    index('orders_customer_open_idx').on(t.customerId).where(sql`${t.status} not in (${finalStatusList})`),
  ],
);

export const orderItems = ordersSchema.table(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    lineNo: integer('line_no').notNull(),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: bigint('unit_price_cents', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.lineNo] })],
);

/** Product prices as inventory announced them; the order service prices orders from here. */
export const catalog = ordersSchema.table('catalog', {
  productId: uuid('product_id').primaryKey(),
  sku: text('sku').notNull(),
  priceCents: bigint('price_cents', { mode: 'number' }).notNull(),
  currency: text('currency').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export const { outbox, inbox } = messagingTables(ordersSchema);

/** Who may call the API besides people with tokens, and what admins (and API keys) did. */
export const accessSchema = pgSchema('access');

/** Machine clients' keys. Only a SHA-256 digest of the key is stored; the key is shown once. */
export const apiKeys = accessSchema.table(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    name: text('name').notNull(),
    scopes: text('scopes').array().$type<ApiKeyScope[]>().notNull(),
    /** The key's first characters, to recognise it in a list. */
    prefix: text('prefix').notNull(),
    digest: text('digest').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    revokedBy: text('revoked_by'),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('api_keys_digest_idx').on(t.digest),
    index('api_keys_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('api_keys_customer_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
  ],
);

export const auditLog = accessSchema.table(
  'audit_log',
  {
    id: uuid('id').primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    actor: text('actor').notNull(),
    actorKind: text('actor_kind').$type<ActorKind>().notNull(),
    apiKeyId: uuid('api_key_id'),
    action: text('action').notNull(),
    target: text('target').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull(),
    correlationId: text('correlation_id').notNull(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at.desc(), t.id.desc()),
    index('audit_log_actor_idx').on(t.actor, t.at.desc(), t.id.desc()),
    index('audit_log_action_idx').on(t.action, t.at.desc(), t.id.desc()),
    index('audit_log_api_key_idx').on(t.apiKeyId, t.at.desc(), t.id.desc()),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
