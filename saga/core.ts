import {
  backoff,
  type Decision,
  defaultCompensationRetry,
  defaultRetry,
  type RetryPolicy,
  type SagaDefinition,
  type SagaEffect,
  type SagaEvent,
  type SagaState,
  type StepDefinition,
  type StepRecord,
} from './definition.ts';

const ctx = (state: SagaState<unknown>, step: string) => ({
  sagaId: state.id,
  step,
  idempotencyKey: `${state.id}:${step}`,
});
const unchanged = <D>(state: SagaState<D>): Decision<D> => ({ state, effects: [], changed: false });

const stepOf = <D>(def: SagaDefinition<D>, name: string) => def.steps.find((s) => s.name === name);
const compensationOf = <D>(def: SagaDefinition<D>, name: string) =>
  def.steps.find((s) => s.compensation?.name === name);

/** The command that (re)runs a record's step. */
function commandFor<D>(def: SagaDefinition<D>, state: SagaState<D>, record: StepRecord): SagaEffect {
  if (record.isCompensation) {
    const comp = compensationOf(def, record.name)!.compensation!;
    return {
      kind: 'send',
      step: comp.name,
      compensation: true,
      command: comp.command(state.data, ctx(state, comp.name)),
    };
  }
  const step = stepOf(def, record.name)!;
  return step.action.kind === 'local'
    ? { kind: 'local', step: step.name }
    : {
        kind: 'send',
        step: step.name,
        compensation: false,
        command: step.action.command(state.data, ctx(state, step.name)),
      };
}

function begin<D>(def: SagaDefinition<D>, state: SagaState<D>, index: number, now: string): Decision<D> {
  const step = def.steps[index];
  if (!step) {
    return {
      state: { ...state, status: 'COMPLETED', currentStep: null, retryAt: null },
      effects: [{ kind: 'finished', status: 'COMPLETED', reason: null, cancelled: false }],
      changed: true,
    };
  }
  const record: StepRecord = {
    name: step.name,
    status: 'RUNNING',
    attempts: 1,
    isCompensation: false,
    startedAt: now,
    finishedAt: null,
    error: null,
  };
  const next: SagaState<D> = {
    ...state,
    status: 'RUNNING',
    currentStep: step.name,
    steps: [...state.steps, record],
    retryAt: null,
  };
  return { state: next, effects: [commandFor(def, next, record)], changed: true };
}

/** The next forward step to undo: the latest one that took (or may have taken) effect and has a compensation. */
function nextToCompensate<D>(def: SagaDefinition<D>, state: SagaState<D>): StepDefinition<D> | undefined {
  for (let i = state.steps.length - 1; i >= 0; i--) {
    const r = state.steps[i]!;
    if (r.isCompensation) continue;
    const mayHaveEffect = r.status === 'SUCCEEDED' || (r.status === 'FAILED' && r.outcomeUnknown === true);
    const step = stepOf(def, r.name);
    if (mayHaveEffect && step?.compensation) return step;
  }
  return undefined;
}

function compensate<D>(def: SagaDefinition<D>, state: SagaState<D>, now: string): Decision<D> {
  const step = nextToCompensate(def, state);
  if (!step) {
    return {
      state: { ...state, status: 'COMPENSATED', currentStep: null, retryAt: null },
      effects: [{ kind: 'finished', status: 'COMPENSATED', reason: state.failureReason, cancelled: state.cancelled }],
      changed: true,
    };
  }
  const record: StepRecord = {
    name: step.compensation!.name,
    status: 'RUNNING',
    attempts: 1,
    isCompensation: true,
    startedAt: now,
    finishedAt: null,
    error: null,
  };
  const next: SagaState<D> = {
    ...state,
    status: 'COMPENSATING',
    currentStep: record.name,
    steps: [...state.steps, record],
    retryAt: null,
  };
  return { state: next, effects: [commandFor(def, next, record)], changed: true };
}

/** Abandons the running forward step (its outcome unknown) and compensates. */
function abandon<D>(
  def: SagaDefinition<D>,
  state: SagaState<D>,
  reason: string,
  now: string,
  cancelled: boolean,
): Decision<D> {
  const steps = [...state.steps];
  const last = steps.length - 1;
  const running = steps[last];
  if (running?.status === 'RUNNING' && !running.isCompensation) {
    steps[last] = { ...running, status: 'FAILED', finishedAt: now, error: reason, outcomeUnknown: true };
  }
  return compensate(def, { ...state, steps, failureReason: reason, cancelled }, now);
}

/** Sends a STUCK saga's failed compensation again. */
function resume<D>(def: SagaDefinition<D>, state: SagaState<D>): Decision<D> {
  const last = state.steps.length - 1;
  const failed = state.steps[last]!;
  const steps = [...state.steps];
  steps[last] = { ...failed, status: 'RUNNING', attempts: failed.attempts + 1, finishedAt: null };
  const next: SagaState<D> = { ...state, status: 'COMPENSATING', currentStep: failed.name, steps, retryAt: null };
  return { state: next, effects: [commandFor(def, next, steps[last]!)], changed: true };
}

/** Sends the running step again now, without waiting for its retry to fall due. */
function resend<D>(def: SagaDefinition<D>, state: SagaState<D>, running: StepRecord): Decision<D> {
  const last = state.steps.length - 1;
  const steps = [...state.steps];
  steps[last] = { ...running, attempts: running.attempts + 1 };
  const next: SagaState<D> = { ...state, steps, retryAt: null };
  return { state: next, effects: [commandFor(def, next, steps[last]!)], changed: true };
}

const policyOf = <D>(def: SagaDefinition<D>, record: StepRecord): RetryPolicy =>
  record.isCompensation
    ? (def.compensationRetry ?? defaultCompensationRetry)
    : (stepOf(def, record.name)?.retry ?? defaultRetry);

/**
 * The saga's state machine, free of I/O: given the definition, the state and what happened, it
 * returns the next state and what to do.
 * - Steps run in order. A failure the participant calls retriable is retried with exponential
 *   backoff up to the step's policy; then, like any other failure, the steps that took effect are
 *   compensated in reverse order.
 * - When the deadline passes, or someone cancels, the running step is abandoned with its outcome
 *   unknown and compensated too, since its command may still take effect.
 * - A compensation that keeps failing leaves the saga STUCK until someone resumes it.
 * - Step names are unique, so a reply names its step alone; a reply that does not answer the
 *   running step (a duplicate, a late one) changes nothing.
 */

export function decide<D>(def: SagaDefinition<D>, state: SagaState<D>, event: SagaEvent, now: Date): Decision<D> {
  const at = now.toISOString();
  const last = state.steps.length - 1;
  const running = state.steps[last]?.status === 'RUNNING' ? state.steps[last] : undefined;

  switch (event.kind) {
    case 'started':
      return state.steps.length === 0 ? begin(def, state, 0, at) : unchanged(state);

    case 'deadlineExceeded': {
      if (state.status !== 'RUNNING') return unchanged(state);
      const reason =
        (running && stepOf(def, running.name)?.timeoutReason) ?? `The ${running?.name ?? 'saga'} step timed out`;
      return abandon(def, state, reason, at, false);
    }

    case 'cancelRequested':
      if (state.status === 'RUNNING') return abandon(def, state, event.reason, at, true);
      if ((state.status === 'COMPENSATING' || state.status === 'STUCK') && !state.cancelled)
        return { state: { ...state, cancelled: true }, effects: [], changed: true };
      return unchanged(state);

    case 'resumeRequested':
      return state.status === 'STUCK' ? resume(def, state) : unchanged(state);

    case 'compensationForced':
      if (state.status === 'RUNNING') return abandon(def, state, event.reason, at, false);
      if (state.status === 'STUCK') return resume(def, state);
      if (state.status === 'COMPENSATING' && running && state.retryAt !== null) return resend(def, state, running);
      return unchanged(state);

    case 'retryDue':
      return running && state.retryAt !== null ? resend(def, state, running) : unchanged(state);

    case 'replied': {
      if (!running || running.name !== event.step || state.retryAt !== null) return unchanged(state);
      const steps = [...state.steps];
      if (event.outcome === 'FAILED' && event.retriable && running.attempts < policyOf(def, running).maxAttempts) {
        steps[last] = { ...running, error: event.reason ?? 'failed' };
        const retryAt = new Date(now.getTime() + backoff(policyOf(def, running), running.attempts)).toISOString();
        return { state: { ...state, steps, retryAt }, effects: [], changed: true };
      }
      const ok = event.outcome === 'SUCCEEDED';
      steps[last] = {
        ...running,
        status: ok ? 'SUCCEEDED' : 'FAILED',
        finishedAt: at,
        error: ok ? null : (event.reason ?? 'failed'),
      };

      if (!running.isCompensation) {
        const after = { ...state, steps };
        if (ok) return begin(def, after, def.steps.findIndex((s) => s.name === event.step) + 1, at);
        return compensate(def, { ...after, failureReason: event.reason ?? `${event.step} failed` }, at);
      }
      if (!ok) {
        // A compensation that cannot finish needs a person; the saga stops where it is.
        return {
          state: { ...state, steps, status: 'STUCK', retryAt: null },
          effects: [
            {
              kind: 'finished',
              status: 'STUCK',
              reason: event.reason ?? `${event.step} failed`,
              cancelled: state.cancelled,
            },
          ],
          changed: true,
        };
      }
      const undone = compensationOf(def, event.step)?.name;
      const forward = steps.findLastIndex((r) => !r.isCompensation && r.name === undone && r.status !== 'COMPENSATED');
      if (forward >= 0) steps[forward] = { ...steps[forward]!, status: 'COMPENSATED' };
      return compensate(def, { ...state, steps }, at);
    }
  }
}
