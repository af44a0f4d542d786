import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { createEnvelope, type Causation, type Envelope } from '../messaging/envelope.ts';
import { writeOutbox } from '../messaging/outbox.ts';
import type { MessagingTables } from '../messaging/tables.ts';
import { decide, type SagaEffect, type SagaEvent } from './core.ts';
import type { SagaDefinition, SagaState } from './definition.ts';
import { sagaInstances, type SagaRow } from './tables.ts';

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

export interface SagaEngine<D> {
  start(tx: Db, input: { id: string; correlationId: string; data: D }, causation: Causation): Promise<SagaState<D>>;
  /** Applies a participant's reply; a reply for another saga type or a stale step does nothing. */
  handleReply(tx: Db, reply: Envelope<'SagaStepReplied'>): Promise<void>;
  findByCorrelation(db: Db, correlationId: string): Promise<(SagaState<D> & { row: SagaRow }) | undefined>;
}

const toState = <D>(row: SagaRow): SagaState<D> => ({
  id: row.id,
  correlationId: row.correlationId,
  status: row.status,
  currentStep: row.currentStep,
  data: row.data as D,
  steps: row.steps,
  failureReason: row.failureReason,
});

/**
 * Runs sagas of one definition: persists each instance, turns the decisions of `decide` into
 * outbox messages in the same transaction, and runs local steps in place. It knows nothing about
 * what the saga is for.
 */
export function createSagaEngine<D>({
  definition,
  outbox,
  hooks,
  clock = () => new Date(),
}: {
  definition: SagaDefinition<D>;
  outbox: MessagingTables['outbox'];
  hooks: SagaHooks<D>;
  clock?: () => Date;
}): SagaEngine<D> {
  /** Applies an event and every local step it leads to, then stores the outcome. */
  async function apply(tx: Db, state: SagaState<D>, event: SagaEvent, causation: Causation): Promise<{ state: SagaState<D>; changed: boolean }> {
    let decision = decide(definition, state, event, clock());
    if (!decision.changed) return { state, changed: false };
    const effects: SagaEffect[] = [];
    for (;;) {
      effects.push(...decision.effects);
      const local = decision.effects.find((e) => e.kind === 'local');
      if (!local) break;
      await hooks.local[local.step]!(tx, decision.state, causation);
      decision = decide(definition, decision.state, { kind: 'replied', step: local.step, outcome: 'SUCCEEDED' }, clock());
    }
    const sends = effects.flatMap((e) =>
      e.kind === 'send' ? [createEnvelope(e.command.type, state.correlationId, e.command.payload as never, causation, clock())] : [],
    );
    await writeOutbox(tx, outbox, sends);
    await hooks.onChange?.(tx, decision.state, effects, causation);
    return { state: decision.state, changed: true };
  }

  const columns = (s: SagaState<D>) => ({
    status: s.status,
    currentStep: s.currentStep,
    data: s.data,
    steps: s.steps,
    failureReason: s.failureReason,
  });

  return {
    async start(tx, { id, correlationId, data }, causation) {
      const now = clock();
      const initial: SagaState<D> = { id, correlationId, status: 'RUNNING', currentStep: null, data, steps: [], failureReason: null };
      const { state } = await apply(tx, initial, { kind: 'started' }, causation);
      await tx.insert(sagaInstances).values({
        id,
        type: definition.type,
        definitionVersion: definition.version,
        correlationId,
        ...columns(state),
        deadlineAt: new Date(now.getTime() + definition.deadlineMs),
        startedAt: now,
        updatedAt: now,
        version: 1,
      });
      return state;
    },

    async handleReply(tx, reply) {
      const [row] = await tx.select().from(sagaInstances).where(and(eq(sagaInstances.id, reply.payload.sagaId), eq(sagaInstances.type, definition.type)));
      if (!row) return;
      const { step, outcome, reason } = reply.payload;
      const { state, changed } = await apply(tx, toState<D>(row), { kind: 'replied', step, outcome, reason }, { correlationId: reply.correlationId, causationId: reply.id });
      if (!changed) return;
      const updated = await tx
        .update(sagaInstances)
        .set({ ...columns(state), updatedAt: clock(), version: row.version + 1 })
        .where(and(eq(sagaInstances.id, row.id), eq(sagaInstances.version, row.version)))
        .returning({ id: sagaInstances.id });
      if (updated.length === 0) throw new SagaConcurrencyError(`saga ${row.id} changed concurrently`);
    },

    async findByCorrelation(db, correlationId) {
      const [row] = await db.select().from(sagaInstances).where(and(eq(sagaInstances.type, definition.type), eq(sagaInstances.correlationId, correlationId)));
      return row ? { ...toState<D>(row), row } : undefined;
    },
  };
}
