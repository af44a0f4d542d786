import type { MessageType, Payload } from '../messaging/contract.ts';

/** What a remote step asks a participant to do: one message of the contract. */
export type Command = { [T in MessageType]: { type: T; payload: Payload<T> } }[MessageType];

/** Handed to command builders: which saga and step the command belongs to. */
export interface StepContext {
  sagaId: string;
  step: string;
  /** Stable for the saga and step: a participant does the step at most once per key. */
  idempotencyKey: string;
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
}

/** A saga as the business reads it: its steps in order, each with its undo, and a deadline. */
export interface SagaDefinition<D> {
  type: string;
  version: number;
  /** How long the saga may run before it gives up and compensates. */
  deadlineMs: number;
  steps: StepDefinition<D>[];
}

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
}

export interface SagaState<D> {
  id: string;
  correlationId: string;
  status: SagaStatus;
  currentStep: string | null;
  data: D;
  steps: StepRecord[];
  failureReason: string | null;
}

export const isFinalSaga = (status: SagaStatus) => status === 'COMPLETED' || status === 'COMPENSATED';
