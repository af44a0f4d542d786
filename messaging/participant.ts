import type { Db } from '../db/index.ts';
import { causedBy, createEnvelope, type Envelope } from './envelope.ts';
import { writeOutbox } from './outbox.ts';
import type { MessagingTables } from './tables.ts';

type SagaCommandType = 'ReserveInventory' | 'CommitInventory' | 'ReleaseInventory' | 'ChargePayment' | 'RefundPayment';

export type StepOutcome = { outcome: 'SUCCEEDED' } | { outcome: 'FAILED'; reason: string; retriable?: boolean };

/** A participant's answer to a saga command, stored in its outbox in the command's transaction. */
export async function replyToSaga(
  tx: Db,
  outbox: MessagingTables['outbox'],
  command: Envelope<SagaCommandType>,
  result: StepOutcome,
): Promise<void> {
  const { sagaId, step } = command.payload;
  await writeOutbox(tx, outbox, [
    createEnvelope(
      'SagaStepReplied',
      command.key,
      result.outcome === 'SUCCEEDED'
        ? { sagaId, step, outcome: 'SUCCEEDED' }
        : { sagaId, step, outcome: 'FAILED', failure: { reason: result.reason, retriable: result.retriable ?? false } },
      causedBy(command),
    ),
  ]);
}

export const succeeded: StepOutcome = { outcome: 'SUCCEEDED' };
export const failedWith = (reason: string): StepOutcome => ({ outcome: 'FAILED', reason });
