import { and, desc, eq, gt, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { olderThan, rowsOf } from '../db/index.ts';
import type { SagaStatus } from './definition.ts';
import { type SagaRow, sagaInstances } from './tables.ts';

/** Which sagas of a type an operator looks for; every field narrows, none: all. */
export interface SagaFilter {
  status?: SagaStatus | undefined;
  /** The step the saga is at (running, retrying, or failed at when STUCK). */
  step?: string | undefined;
  startedBefore?: Date | undefined;
  startedAfter?: Date | undefined;
  /** True: only RUNNING sagas whose deadline has passed and that the sweep has not yet compensated. */
  pastDeadline?: boolean | undefined;
}

/** Where a page of sagas, newest first, starts: after the saga started at `at` with id `id`. */
export interface SagaCursor {
  startedAt: string;
  id: string;
}

/**
 * The filter as one condition. `status` and `startedAt` are answered by the (type, status,
 * started_at, id) index, so a page of STUCK sagas is a range scan however many finished ones there
 * are; `pastDeadline` by the (status, deadline_at) index.
 */
export function sagaCondition(type: string, filter: SagaFilter, now: Date): SQL {
  const where: SQL[] = [eq(sagaInstances.type, type)];
  if (filter.pastDeadline) {
    if (filter.status !== undefined && filter.status !== 'RUNNING') where.push(sql`false`);
    where.push(eq(sagaInstances.status, 'RUNNING'), lt(sagaInstances.deadlineAt, now));
  }
  if (filter.status !== undefined) where.push(eq(sagaInstances.status, filter.status));
  if (filter.step !== undefined) where.push(eq(sagaInstances.currentStep, filter.step));
  if (filter.startedBefore) where.push(lt(sagaInstances.startedAt, filter.startedBefore));
  if (filter.startedAfter) where.push(gt(sagaInstances.startedAt, filter.startedAfter));
  return and(...where)!;
}

/** A page of sagas matching the filter, newest first: `limit + 1` rows, so the caller knows if more follow. */
export function listSagas(
  db: Db,
  type: string,
  filter: SagaFilter,
  page: { after?: SagaCursor | undefined; limit: number },
  now = new Date(),
): Promise<SagaRow[]> {
  const where = [sagaCondition(type, filter, now)];
  if (page.after)
    where.push(olderThan(sagaInstances.startedAt, sagaInstances.id, { at: page.after.startedAt, id: page.after.id }));
  return db
    .select()
    .from(sagaInstances)
    .where(and(...where))
    .orderBy(desc(sagaInstances.startedAt), desc(sagaInstances.id))
    .limit(page.limit + 1);
}

/** How many sagas of the type there are in each status, of those started after `since` (all: none). */
export async function countSagas(db: Db, type: string, since?: Date): Promise<Record<SagaStatus, number>> {
  const rows = rowsOf<{ status: SagaStatus; n: number }>(
    await db.execute(sql`select ${sagaInstances.status} as status, count(*)::int as n from ${sagaInstances}
      where ${sagaCondition(type, { startedAfter: since }, new Date())}
      group by ${sagaInstances.status}`),
  );
  const counts: Record<SagaStatus, number> = { RUNNING: 0, COMPENSATING: 0, COMPLETED: 0, COMPENSATED: 0, STUCK: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}
