import type { Command, SagaDefinition, SagaState, StepDefinition, StepRecord } from './definition.ts';

/** What happened to a saga: it started, or a participant (or the host) answered a step. */
export type SagaEvent =
  | { kind: 'started' }
  | { kind: 'replied'; step: string; outcome: 'SUCCEEDED' | 'FAILED'; reason?: string | undefined };

/** What the engine must do after a decision. */
export type SagaEffect =
  | { kind: 'send'; step: string; compensation: boolean; command: Command }
  | { kind: 'local'; step: string }
  | { kind: 'finished'; status: 'COMPLETED' | 'COMPENSATED' | 'STUCK'; reason: string | null };

export interface Decision<D> {
  state: SagaState<D>;
  effects: SagaEffect[];
  /** False when the event changed nothing (a stale or duplicate reply). */
  changed: boolean;
}

const ctx = (state: SagaState<unknown>, step: string) => ({ sagaId: state.id, step, idempotencyKey: `${state.id}:${step}` });

function begin<D>(def: SagaDefinition<D>, state: SagaState<D>, index: number, now: string): Decision<D> {
  const step = def.steps[index];
  if (!step) {
    return {
      state: { ...state, status: 'COMPLETED', currentStep: null },
      effects: [{ kind: 'finished', status: 'COMPLETED', reason: null }],
      changed: true,
    };
  }
  const record: StepRecord = { name: step.name, status: 'RUNNING', attempts: 1, isCompensation: false, startedAt: now, finishedAt: null, error: null };
  const next = { ...state, status: 'RUNNING' as const, currentStep: step.name, steps: [...state.steps, record] };
  const effect: SagaEffect =
    step.action.kind === 'local'
      ? { kind: 'local', step: step.name }
      : { kind: 'send', step: step.name, compensation: false, command: step.action.command(state.data, ctx(state, step.name)) };
  return { state: next, effects: [effect], changed: true };
}

/** The next forward step to undo: the latest one that succeeded and has a compensation. */
function nextToCompensate<D>(def: SagaDefinition<D>, state: SagaState<D>): StepDefinition<D> | undefined {
  for (let i = state.steps.length - 1; i >= 0; i--) {
    const r = state.steps[i]!;
    if (r.isCompensation || r.status !== 'SUCCEEDED') continue;
    const step = def.steps.find((s) => s.name === r.name);
    if (step?.compensation) return step;
  }
  return undefined;
}

function compensate<D>(def: SagaDefinition<D>, state: SagaState<D>, now: string): Decision<D> {
  const step = nextToCompensate(def, state);
  if (!step) {
    return {
      state: { ...state, status: 'COMPENSATED', currentStep: null },
      effects: [{ kind: 'finished', status: 'COMPENSATED', reason: state.failureReason }],
      changed: true,
    };
  }
  const comp = step.compensation!;
  const record: StepRecord = { name: comp.name, status: 'RUNNING', attempts: 1, isCompensation: true, startedAt: now, finishedAt: null, error: null };
  return {
    state: { ...state, status: 'COMPENSATING', currentStep: comp.name, steps: [...state.steps, record] },
    effects: [{ kind: 'send', step: comp.name, compensation: true, command: comp.command(state.data, ctx(state, comp.name)) }],
    changed: true,
  };
}

const unchanged = <D>(state: SagaState<D>): Decision<D> => ({ state, effects: [], changed: false });

/**
 * The saga's state machine, free of I/O: given the definition, the state and what happened, it
 * returns the next state and what to do. Steps run in order; when one fails, the steps that
 * succeeded are compensated in reverse order (step names are unique, so a reply names its step
 * alone); a reply that does not answer the running step
 * (a duplicate, or one that arrives late) changes nothing.
 */
export function decide<D>(def: SagaDefinition<D>, state: SagaState<D>, event: SagaEvent, now: Date): Decision<D> {
  const at = now.toISOString();
  if (event.kind === 'started') return state.steps.length === 0 ? begin(def, state, 0, at) : unchanged(state);

  const index = state.steps.length - 1;
  const running = state.steps[index];
  if (!running || running.status !== 'RUNNING' || running.name !== event.step) {
    return unchanged(state);
  }
  const steps = [...state.steps];
  const ok = event.outcome === 'SUCCEEDED';
  steps[index] = { ...running, status: ok ? 'SUCCEEDED' : 'FAILED', finishedAt: at, error: ok ? null : (event.reason ?? 'failed') };

  if (!running.isCompensation) {
    const after = { ...state, steps };
    if (ok) return begin(def, after, def.steps.findIndex((s) => s.name === event.step) + 1, at);
    return compensate(def, { ...after, failureReason: event.reason ?? `${event.step} failed` }, at);
  }

  if (!ok) {
    // A compensation that fails needs a person; the saga stops where it is.
    return {
      state: { ...state, steps, status: 'STUCK' },
      effects: [{ kind: 'finished', status: 'STUCK', reason: event.reason ?? `${event.step} failed` }],
      changed: true,
    };
  }
  // Mark the forward step this compensation undid.
  const undone = def.steps.find((s) => s.compensation?.name === event.step)?.name;
  const forward = steps.findLastIndex((r) => !r.isCompensation && r.name === undone && r.status === 'SUCCEEDED');
  if (forward >= 0) steps[forward] = { ...steps[forward]!, status: 'COMPENSATED' };
  return compensate(def, { ...state, steps }, at);
}
