import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { SagaStatus, StepRecord } from './definition.ts';

/** The saga engine's own schema: one row per saga instance. */
export const sagaSchema = pgSchema('saga');

export const sagaInstances = sagaSchema.table(
  'instances',
  {
    id: uuid('id').primaryKey(),
    type: text('type').notNull(),
    definitionVersion: integer('definition_version').notNull(),
    /** The business key the saga runs for (the order id); messages are keyed by it. */
    businessKey: text('business_key').notNull(),
    status: text('status').$type<SagaStatus>().notNull(),
    currentStep: text('current_step'),
    data: jsonb('data').notNull(),
    steps: jsonb('steps').$type<StepRecord[]>().notNull(),
    failureReason: text('failure_reason'),
    cancelled: boolean('cancelled').notNull().default(false),
    /** When the running step is sent again after a retriable failure. */
    retryAt: timestamp('retry_at', { withTimezone: true, mode: 'date' }),
    /** The correlation id of the request that started the saga (its trace); messages the saga sends on its own carry it. */
    traceId: text('trace_id').notNull().default(''),
    deadlineAt: timestamp('deadline_at', { withTimezone: true, mode: 'date' }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Optimistic concurrency: every update checks and bumps it. */
    version: integer('version').notNull(),
  },
  (t) => [
    uniqueIndex('instances_type_business_key_idx').on(t.type, t.businessKey),
    index('instances_status_deadline_idx').on(t.status, t.deadlineAt),
    // Never updated, so it costs no HOT update: admission counts the sagas started since a moment.
    index('instances_started_idx').on(t.type, t.startedAt),
    index('instances_retry_idx').on(t.retryAt).where(sql`${t.retryAt} is not null`),
    // An operator's search (saga/search.ts): the sagas in one status, newest first (scanned backwards:
    // ascending keys match `order by … desc`, whose nulls come first), one page at a time.
    index('instances_type_status_started_idx').on(t.type, t.status, t.startedAt, t.id),
  ],
);

export type SagaRow = typeof sagaInstances.$inferSelect;
