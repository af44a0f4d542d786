import { bigint, index, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { messagingTables } from '../../messaging/index.ts';
import type { PaymentStatus } from './payment.ts';

export const paymentsSchema = pgSchema('payments');

/** One payment per order; the idempotency key is the saga's, so a redelivered charge finds its row. */
export const payments = paymentsSchema.table(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull().unique(),
    customerId: text('customer_id').notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status').$type<PaymentStatus>().notNull(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    transactionId: text('transaction_id'),
    failureReason: text('failure_reason'),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('payments_customer_idx').on(t.customerId)],
);

/**
 * The simulated payment provider's own records. A real provider keeps these on its side; here they
 * live beside the payments but are written outside the payment service's transactions, as an
 * external system's would be, so the tests can count what the provider actually charged.
 */
export const providerLedger = paymentsSchema.table(
  'simulated_provider_ledger',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    orderId: uuid('order_id').notNull(),
    kind: text('kind').$type<'CHARGE' | 'REFUND'>().notNull(),
    outcome: text('outcome').$type<'APPROVED' | 'DECLINED'>().notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    transactionId: text('transaction_id'),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('simulated_provider_ledger_order_idx').on(t.orderId)],
);

export const { outbox, inbox } = messagingTables(paymentsSchema);

export type PaymentRow = typeof payments.$inferSelect;
