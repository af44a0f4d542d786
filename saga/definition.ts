import type { MessageType, Payload } from '../messaging/index.ts';

/** What a remote step asks a participant to do: one message of the contract. */
export type Command = { [T in MessageType]: { type: T; payload: Payload<T> } }[MessageType];

/** Handed to command builders: which saga and step the command belongs to. */
export interface StepContext {
  sagaId: string;
  step: string;
  /** Stable for the saga and step, across retries: a participant does the step at most once per key. */
  idempotencyKey: string;
}

/** How often a step is sent before its failure counts, and how long to wait between sends. */
export interface RetryPolicy {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface StepDefinition<D> {
  name: string;
  /**
   * `remote`: a command to a participant, which replies with the outcome.
   * `local`: done by the host inside the saga's own transaction; it cannot fail.
   */
  action: { kind: 'remote'; command: (data: D, ctx: StepContext) => Command } | { kind: 'local' };
  /** Undoes the step after a later step failed; run in reverse order of the steps. */
  compensation?: { name: string; command: (data: D, ctx: StepContext) => Command };
  /** Retries of a failure the participant calls retriable. Default: `defaultRetry`. */
  retry?: RetryPolicy;
  /** The failure reason when the saga's deadline passes during this step. */
  timeoutReason?: string;
}

/** A saga as the business reads it: its steps in order, each with its undo, and a deadline. */
export interface SagaDefinition<D> {
  type: string;
  version: number;
  /** How long the forward steps may take before the saga gives up and compensates. */
  deadlineMs: number;
  steps: StepDefinition<D>[];
  /** Retries of a compensation; when they run out the saga is STUCK until someone resumes it. */
  compensationRetry?: RetryPolicy;
}

export const defaultRetry: RetryPolicy = { maxAttempts: 3, backoffMs: 500, maxBackoffMs: 10_000 };
export const defaultCompensationRetry: RetryPolicy = { maxAttempts: 5, backoffMs: 500, maxBackoffMs: 30_000 };

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'STUCK';
export type StepStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'COMPENSATED';

export interface StepRecord {
  name: string;
  status: StepStatus;
  attempts: number;
  isCompensation: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /**
   * The step was abandoned while a participant may still do it (deadline, cancellation): it is
   * compensated like a step that succeeded, since its command may yet take effect.
   */
  outcomeUnknown?: boolean;
}

export interface SagaState<D> {
  id: string;
  /** What the saga runs for (an order id): one saga of a type per key, and its messages' key. */
  businessKey: string;
  status: SagaStatus;
  currentStep: string | null;
  data: D;
  steps: StepRecord[];
  failureReason: string | null;
  /** Someone asked to cancel: the saga compensates and ends as cancelled rather than failed. */
  cancelled: boolean;
  /** When the running step is to be sent again after a retriable failure. */
  retryAt: string | null;
}

/** Exponential backoff for the n-th attempt (n ≥ 1) under a policy. */
export const backoff = (policy: RetryPolicy, attempt: number) =>
  Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));

/** What happened to a saga. */
export type SagaEvent =
  | { kind: 'started' }
  /** A participant (or the host, for a local step) answered the running step. */
  | {
      kind: 'replied';
      step: string;
      outcome: 'SUCCEEDED' | 'FAILED';
      reason?: string | undefined;
      retriable?: boolean | undefined;
    }
  /** The running step's retry is due. */
  | { kind: 'retryDue' }
  /** The saga's deadline passed while a forward step was running. */
  | { kind: 'deadlineExceeded' }
  | { kind: 'cancelRequested'; reason: string }
  /** Someone resumes a STUCK saga: its failed compensation is sent again. */
  | { kind: 'resumeRequested' }
  /**
   * An operator makes the saga compensate now: a running one is abandoned and undone (it ends as
   * failed, with `reason`), a STUCK one resumes its compensation, a compensation waiting out a retry
   * is sent at once.
   */
  | { kind: 'compensationForced'; reason: string };

/** What the engine must do after a decision. */
export type SagaEffect =
  | { kind: 'send'; step: string; compensation: boolean; command: Command }
  | { kind: 'local'; step: string }
  | { kind: 'finished'; status: 'COMPLETED' | 'COMPENSATED' | 'STUCK'; reason: string | null; cancelled: boolean };

export interface Decision<D> {
  state: SagaState<D>;
  effects: SagaEffect[];
  /** False when the event changed nothing (a stale or duplicate reply, a late timer). */
  changed: boolean;
}

/** A saga before its first event: running, no step yet. */
export const initialState = <D>(id: string, businessKey: string, data: D): SagaState<D> => ({
  id,
  businessKey,
  status: 'RUNNING',
  currentStep: null,
  data,
  steps: [],
  failureReason: null,
  cancelled: false,
  retryAt: null,
});
