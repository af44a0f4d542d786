import { and, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { onCommit, rowsOf, transaction } from '../db/index.ts';
import type { MessagingTables } from '../messaging/index.ts';
import {
  type Causation,
  createEnvelope,
  type Envelope,
  inInstantSpan,
  inSpan,
  writeOutbox,
} from '../messaging/index.ts';
import type { BacklogSample } from './admission.ts';
import { decide } from './core.ts';
import {
  initialState,
  type SagaDefinition,
  type SagaEffect,
  type SagaEvent,
  type SagaState,
  type SagaStatus,
  type StepStatus,
} from './definition.ts';
import { countSagas, listSagas, type SagaCursor, type SagaFilter } from './search.ts';
import { type SagaRow, sagaInstances } from './tables.ts';

/** The saga row changed under us (another replica handled a message first); retrying is safe. */
export class SagaConcurrencyError extends Error {
  readonly retriable = true;
  override name = 'SagaConcurrencyError';
}

export interface SagaHooks<D> {
  /** Runs a local step inside the saga's transaction. */
  local: Record<string, (tx: Db, saga: SagaState<D>, causation: Causation) => Promise<void>>;
  /** Called inside the transaction after every change, with the effects it caused. */
  onChange?: (tx: Db, saga: SagaState<D>, effects: SagaEffect[], causation: Causation) => Promise<void>;
}

export type SagaView<D> = SagaState<D> & { row: SagaRow };

export interface SagaEngine<D> {
  /** Starts a saga in the caller's transaction; returns it as stored. */
  start(tx: Db, input: { id: string; businessKey: string; data: D }, causation: Causation): Promise<SagaView<D>>;
  /** Applies a participant's reply; a reply for another saga type or a stale step does nothing. */
  handleReply(tx: Db, reply: Envelope<'SagaStepReplied'>): Promise<void>;
  /** Cancels or resumes the saga of a business key, inside the caller's transaction. Returns the saga after, or undefined. */
  signal(
    tx: Db,
    businessKey: string,
    event: Extract<SagaEvent, { kind: 'cancelRequested' | 'resumeRequested' | 'compensationForced' }>,
    causation: Causation,
  ): Promise<{ saga: SagaState<D>; changed: boolean } | undefined>;
  /** Compensates sagas past their deadline and sends due retries; safe on many replicas. Returns how many it moved. */
  sweep(db: Db, limit?: number): Promise<number>;
  /** The sagas in flight (running or compensating) and how many started after `since`. */
  backlog(db: Db, since: Date): Promise<BacklogSample>;
  /**
   * The sagas still open, by status (RUNNING, COMPENSATING, STUCK), and how many of the running
   * ones are past their deadline (the sweep has not reached them yet): a scan of the status index.
   */
  census(db: Db): Promise<{ open: Record<'RUNNING' | 'COMPENSATING' | 'STUCK', number>; pastDeadline: number }>;
  /** The saga of a business key. */
  findByKey(db: Db, businessKey: string): Promise<SagaView<D> | undefined>;
  findManyByKeys(db: Db, businessKeys: string[]): Promise<SagaView<D>[]>;
  /** One saga by its own id. */
  findById(db: Db, id: string): Promise<SagaView<D> | undefined>;
  /** A page of the sagas matching an operator's filter, newest first (`limit + 1` rows: see `connection`). */
  list(db: Db, filter: SagaFilter, page: { after?: SagaCursor | undefined; limit: number }): Promise<SagaView<D>[]>;
  /** How many sagas there are in each status, of those started after `since` (all: none). */
  counts(db: Db, since?: Date): Promise<Record<SagaStatus, number>>;
}

/** What a committed transition of a saga tells its metrics (`sagaMetrics`). */
export type SagaObservation =
  | { kind: 'started' }
  | { kind: 'finished'; outcome: 'completed' | 'compensated'; seconds: number }
  | { kind: 'stuck' }
  | { kind: 'step'; step: string; compensation: boolean; outcome: StepStatus; seconds: number }
  | { kind: 'attempts'; step: string; compensation: boolean; count: number };

const seconds = (from: string | Date, to: string | Date) => (new Date(to).getTime() - new Date(from).getTime()) / 1000;

/** What changed from `before` to `after`: the saga's start or end, and each step's attempts and end. */
export function observationsOf<D>(
  before: SagaState<D>,
  after: SagaState<D>,
  { started, startedAt, now }: { started: boolean; startedAt: Date; now: Date },
): SagaObservation[] {
  const out: SagaObservation[] = started ? [{ kind: 'started' }] : [];
  after.steps.forEach((step, i) => {
    const was = before.steps[i];
    const where = { step: step.name, compensation: step.isCompensation };
    if (step.attempts > (was?.attempts ?? 0))
      out.push({ kind: 'attempts', ...where, count: step.attempts - (was?.attempts ?? 0) });
    if (step.finishedAt && !was?.finishedAt)
      out.push({
        kind: 'step',
        ...where,
        outcome: step.status,
        seconds: step.startedAt ? seconds(step.startedAt, step.finishedAt) : 0,
      });
  });
  if (after.status !== before.status) {
    if (after.status === 'COMPLETED' || after.status === 'COMPENSATED')
      out.push({
        kind: 'finished',
        outcome: after.status === 'COMPLETED' ? 'completed' : 'compensated',
        seconds: seconds(startedAt, now),
      });
    if (after.status === 'STUCK') out.push({ kind: 'stuck' });
  }
  return out;
}

/** A stored saga as the engine and its readers see it. */
export const sagaView = <D>(row: SagaRow): SagaView<D> => ({ ...toState<D>(row), row });

const toState = <D>(row: SagaRow): SagaState<D> => ({
  id: row.id,
  businessKey: row.businessKey,
  status: row.status,
  currentStep: row.currentStep,
  data: row.data as D,
  steps: row.steps,
  failureReason: row.failureReason,
  cancelled: row.cancelled,
  retryAt: row.retryAt?.toISOString() ?? null,
});

const columns = <D>(s: SagaState<D>) => ({
  status: s.status,
  currentStep: s.currentStep,
  data: s.data,
  steps: s.steps,
  failureReason: s.failureReason,
  cancelled: s.cancelled,
  retryAt: s.retryAt === null ? null : new Date(s.retryAt),
});

/**
 * Runs sagas of one definition: persists each instance (optimistic concurrency on `version`),
 * turns the decisions of `decide` into outbox messages in the same transaction, and runs local
 * steps in place. It knows nothing about what the saga is for.
 *
 * New sagas start under `definition`; a saga started under an older version that is still in
 * `previous` runs to its end under that version (its steps, compensations, retries and deadline as
 * they were when it started), so a deploy that changes the saga does not change sagas in flight. A
 * saga whose version is no longer registered goes on under the current one.
 */
export function createSagaEngine<D>({
  definition,
  previous = [],
  outbox,
  hooks,
  clock = () => new Date(),
  observe,
}: {
  definition: SagaDefinition<D>;
  /** Older versions of the definition, still registered for the sagas that started under them. */
  previous?: SagaDefinition<D>[];
  outbox: MessagingTables['outbox'];
  hooks: SagaHooks<D>;
  clock?: () => Date;
  /** Told what each transition did once its transaction committed (a transaction of `db/transaction.ts`). */
  observe?: (observation: SagaObservation) => void;
}): SagaEngine<D> {
  const versions = new Map([...previous, definition].map((d) => [d.version, d]));
  if (previous.some((d) => d.type !== definition.type))
    throw new Error(`every version of the ${definition.type} saga must have its type`);
  /** The definition a stored saga runs under. */
  const definitionOf = (row: Pick<SagaRow, 'definitionVersion'>) => versions.get(row.definitionVersion) ?? definition;

  /**
   * Decides what an event leads to, local steps included (they cannot fail, so their outcome is
   * known before they run), then runs the local steps, the host's hook and `store` together: the
   * statements are independent, so they go to the database in one round trip.
   */
  async function apply(
    tx: Db,
    definition: SagaDefinition<D>,
    state: SagaState<D>,
    event: SagaEvent,
    causation: Causation,
    store: (next: SagaState<D>) => Promise<void>,
    startedAt: Date,
  ): Promise<{ state: SagaState<D>; changed: boolean }> {
    let decision = decide(definition, state, event, clock());
    if (!decision.changed) return { state, changed: false };
    const effects: SagaEffect[] = [];
    const locals: { step: string; state: SagaState<D> }[] = [];
    for (;;) {
      effects.push(...decision.effects);
      const local = decision.effects.find((e) => e.kind === 'local');
      if (!local) break;
      locals.push({ step: local.step, state: decision.state });
      decision = decide(
        definition,
        decision.state,
        { kind: 'replied', step: local.step, outcome: 'SUCCEEDED' },
        clock(),
      );
    }
    // Each step sent or run gets a span of the saga's trace; a command carries its step's context.
    const stepSpan = (step: string, compensation: boolean) => ({
      name: `saga step ${step}`,
      attributes: {
        'sagaway.saga.type': definition.type,
        'sagaway.saga.id': state.id,
        'sagaway.saga.step': step,
        'sagaway.saga.compensation': compensation,
      },
    });
    const sends = effects.flatMap((e) => {
      if (e.kind !== 'send') return [];
      const { name, attributes } = stepSpan(e.step, e.compensation);
      return [
        inInstantSpan(name, attributes, () =>
          createEnvelope(e.command.type, state.businessKey, e.command.payload as never, causation, clock()),
        ),
      ];
    });
    await Promise.all([
      writeOutbox(tx, outbox, sends),
      ...locals.map((l) => {
        const { name, attributes } = stepSpan(l.step, false);
        return inSpan(name, { attributes }, () => hooks.local[l.step]!(tx, l.state, causation));
      }),
      hooks.onChange?.(tx, decision.state, effects, causation),
      store(decision.state),
    ]);
    if (observe) {
      const seen = observationsOf(state, decision.state, {
        started: event.kind === 'started',
        startedAt,
        now: clock(),
      });
      if (seen.length > 0) onCommit(tx, () => seen.forEach(observe));
    }
    return { state: decision.state, changed: true };
  }

  /** Applies an event to a stored saga and stores the outcome, if the row did not change meanwhile. */
  async function transition(tx: Db, row: SagaRow, event: SagaEvent, causation: Causation) {
    return apply(
      tx,
      definitionOf(row),
      toState<D>(row),
      event,
      causation,
      async (next) => {
        const updated = await tx
          .update(sagaInstances)
          .set({ ...columns(next), updatedAt: clock(), version: row.version + 1 })
          .where(and(eq(sagaInstances.id, row.id), eq(sagaInstances.version, row.version)))
          .returning({ id: sagaInstances.id });
        if (updated.length === 0) throw new SagaConcurrencyError(`saga ${row.id} changed concurrently`);
      },
      row.startedAt,
    );
  }

  const ofType = eq(sagaInstances.type, definition.type);
  const traceOf = (row: SagaRow): Causation => ({ correlationId: row.traceId || row.businessKey, causationId: null });

  async function sweepOne(db: Db): Promise<boolean> {
    return transaction(db, async (tx) => {
      const now = clock();
      const [row] = await tx
        .select()
        .from(sagaInstances)
        .where(
          and(
            ofType,
            or(
              and(eq(sagaInstances.status, 'RUNNING'), lt(sagaInstances.deadlineAt, now)),
              and(inArray(sagaInstances.status, ['RUNNING', 'COMPENSATING']), lt(sagaInstances.retryAt, now)),
            ),
          ),
        )
        .limit(1)
        .for('update', { skipLocked: true });
      if (!row) return false;
      const event: SagaEvent =
        row.status === 'RUNNING' && row.deadlineAt < now ? { kind: 'deadlineExceeded' } : { kind: 'retryDue' };
      const { changed } = await transition(tx, row, event, traceOf(row));
      if (!changed) {
        // Nothing to do any more (a stale retry mark): clear it so the sweeper does not return.
        await tx.update(sagaInstances).set({ retryAt: null }).where(eq(sagaInstances.id, row.id));
      }
      return true;
    });
  }

  return {
    async start(tx, { id, businessKey, data }, causation) {
      const now = clock();
      const initial = initialState(id, businessKey, data);
      const rowOf = (state: SagaState<D>): SagaRow => ({
        id,
        type: definition.type,
        definitionVersion: definition.version,
        businessKey,
        ...columns(state),
        traceId: causation.correlationId,
        deadlineAt: new Date(now.getTime() + definition.deadlineMs),
        startedAt: now,
        updatedAt: now,
        version: 1,
      });
      const { state } = await apply(
        tx,
        definition,
        initial,
        { kind: 'started' },
        causation,
        async (next) => {
          await tx.insert(sagaInstances).values(rowOf(next));
        },
        now,
      );
      return sagaView<D>(rowOf(state));
    },

    async handleReply(tx, reply) {
      const [row] = await tx
        .select()
        .from(sagaInstances)
        .where(and(eq(sagaInstances.id, reply.payload.sagaId), ofType));
      if (!row) return;
      const { step, outcome } = reply.payload;
      const failure = reply.payload.outcome === 'FAILED' ? reply.payload.failure : undefined;
      await transition(
        tx,
        row,
        { kind: 'replied', step, outcome, reason: failure?.reason, retriable: failure?.retriable },
        { correlationId: reply.correlationId, causationId: reply.id },
      );
    },

    async signal(tx, businessKey, event, causation) {
      const [row] = await tx
        .select()
        .from(sagaInstances)
        .where(and(ofType, eq(sagaInstances.businessKey, businessKey)))
        .for('update');
      if (!row) return undefined;
      const { state, changed } = await transition(tx, row, event, causation);
      return { saga: state, changed };
    },

    async sweep(db, limit = 100) {
      let moved = 0;
      while (moved < limit && (await sweepOne(db))) moved++;
      return moved;
    },

    async backlog(db, since) {
      // Two index scans in one round trip: (status, deadline_at) and (type, started_at).
      const [row] = rowsOf<{ in_flight: number; started: number }>(
        await db.execute(sql`select
          (select count(*) from ${sagaInstances} where ${sagaInstances.status} in ('RUNNING', 'COMPENSATING') and ${ofType})::int as in_flight,
          (select count(*) from ${sagaInstances} where ${ofType} and ${sagaInstances.startedAt} > ${since.toISOString()}::timestamptz)::int as started`),
      );
      return { inFlight: Number(row!.in_flight), startedSince: Number(row!.started) };
    },

    async census(db) {
      const rows = rowsOf<{ status: SagaStatus; n: number; late: number }>(
        await db.execute(sql`select ${sagaInstances.status} as status, count(*)::int as n,
          (count(*) filter (where ${sagaInstances.deadlineAt} < now()))::int as late
          from ${sagaInstances}
          where ${sagaInstances.status} in ('RUNNING', 'COMPENSATING', 'STUCK') and ${ofType}
          group by ${sagaInstances.status}`),
      );
      const open = { RUNNING: 0, COMPENSATING: 0, STUCK: 0 };
      let pastDeadline = 0;
      for (const row of rows) {
        open[row.status as keyof typeof open] = Number(row.n);
        if (row.status === 'RUNNING') pastDeadline = Number(row.late);
      }
      return { open, pastDeadline };
    },

    async findByKey(db, businessKey) {
      const [row] = await db
        .select()
        .from(sagaInstances)
        .where(and(ofType, eq(sagaInstances.businessKey, businessKey)));
      return row ? sagaView<D>(row) : undefined;
    },

    async findManyByKeys(db, businessKeys) {
      if (businessKeys.length === 0) return [];
      const rows = await db
        .select()
        .from(sagaInstances)
        .where(and(ofType, inArray(sagaInstances.businessKey, businessKeys)));
      return rows.map((row) => sagaView<D>(row));
    },

    async findById(db, id) {
      const [row] = await db
        .select()
        .from(sagaInstances)
        .where(and(ofType, eq(sagaInstances.id, id)));
      return row ? sagaView<D>(row) : undefined;
    },

    async list(db, filter, page) {
      return (await listSagas(db, definition.type, filter, page, clock())).map((row) => sagaView<D>(row));
    },

    counts: (db, since) => countSagas(db, definition.type, since),
  };
}
