import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, transaction } from '../db/index.ts';
import { createEnvelope, type MessagingTables } from '../messaging/index.ts';
import { openMessagingDatabase } from '../messaging/testing.ts';
import type { SagaDefinition } from './definition.ts';
import { createSagaEngine, SagaConcurrencyError, type SagaHooks, type SagaObservation } from './engine.ts';
import { sagaInstances } from './tables.ts';

/** The engine on a real (embedded) PostgreSQL, with a two-step saga of its own: no domain. */
let database: Database;
let outbox: MessagingTables['outbox'];
beforeAll(async () => {
  // saga.instances and an outbox, as the services' migrations create them.
  ({ database, outbox } = await openMessagingDatabase());
});
afterAll(() => database.close());

type Data = { orderId: string };
const definition: SagaDefinition<Data> = {
  type: 'test-saga',
  version: 1,
  deadlineMs: 60_000,
  steps: [
    {
      name: 'reserve',
      action: {
        kind: 'remote',
        command: ({ orderId }, ctx) => ({
          type: 'ReserveInventory',
          payload: { sagaId: ctx.sagaId, step: ctx.step, orderId, lines: [{ productId: orderId, quantity: 1 }] },
        }),
      },
      compensation: {
        name: 'release',
        command: ({ orderId }, ctx) => ({
          type: 'ReleaseInventory',
          payload: { sagaId: ctx.sagaId, step: ctx.step, orderId },
        }),
      },
      timeoutReason: 'took too long',
    },
    {
      name: 'commit',
      action: {
        kind: 'remote',
        command: ({ orderId }, ctx) => ({
          type: 'CommitInventory',
          payload: { sagaId: ctx.sagaId, step: ctx.step, orderId },
        }),
      },
      retry: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 1000 },
    },
  ],
};

let now = new Date('2026-11-29T12:00:00.000Z');
const engineWith = (hooks: Partial<SagaHooks<Data>> = {}) =>
  createSagaEngine<Data>({ definition, outbox, hooks: { local: {}, ...hooks }, clock: () => now });

const commandsOf = async (orderId: string) =>
  (await database.db.select().from(outbox).where(eq(outbox.key, orderId))).map((r) => r.type);
const rowOf = async (orderId: string) =>
  (await database.db.select().from(sagaInstances).where(eq(sagaInstances.businessKey, orderId)))[0]!;

async function started(engine = engineWith()) {
  const orderId = crypto.randomUUID();
  const saga = await database.db.transaction((tx) =>
    engine.start(
      tx,
      { id: crypto.randomUUID(), businessKey: orderId, data: { orderId } },
      {
        correlationId: orderId,
        causationId: null,
      },
    ),
  );
  return { orderId, sagaId: saga.id, engine };
}

const reply = (orderId: string, sagaId: string, step: string, outcome: 'SUCCEEDED' | 'FAILED', retriable?: boolean) =>
  createEnvelope(
    'SagaStepReplied',
    orderId,
    outcome === 'FAILED'
      ? { sagaId, step, outcome, failure: { reason: `${step} failed`, retriable: retriable ?? false } }
      : { sagaId, step, outcome },
    { correlationId: orderId, causationId: null },
  );

describe('the saga engine', () => {
  // Each case sees only its own sagas (a sweep takes every one that is due).
  beforeEach(() => database.db.delete(sagaInstances));

  it('stores the saga and its first command in the caller’s transaction, and moves on each reply', async () => {
    const { orderId, sagaId, engine } = await started();
    expect(await commandsOf(orderId)).toEqual(['ReserveInventory']);
    await database.db.transaction((tx) => engine.handleReply(tx, reply(orderId, sagaId, 'reserve', 'SUCCEEDED')));
    await database.db.transaction((tx) => engine.handleReply(tx, reply(orderId, sagaId, 'commit', 'SUCCEEDED')));
    expect(await commandsOf(orderId)).toEqual(['ReserveInventory', 'CommitInventory']);
    expect(await rowOf(orderId)).toMatchObject({ status: 'COMPLETED', version: 3 });
  });

  it('writes nothing when another writer changed the saga between its read and its write', async () => {
    const { orderId, sagaId } = await started();
    // The hook runs inside the transition, after the row was read: another replica's update lands there.
    const racing = engineWith({
      onChange: async (tx, saga) => {
        await tx.execute(sql`update saga.instances set version = version + 1 where id = ${saga.id}`);
      },
    });
    await expect(
      database.db.transaction((tx) => racing.handleReply(tx, reply(orderId, sagaId, 'reserve', 'SUCCEEDED'))),
    ).rejects.toBeInstanceOf(SagaConcurrencyError);
    // Rolled back whole: no command for the next step, the saga as it was.
    expect(await commandsOf(orderId)).toEqual(['ReserveInventory']);
    expect(await rowOf(orderId)).toMatchObject({ status: 'RUNNING', currentStep: 'reserve', version: 1 });
  });

  it('ignores a reply delivered again after it was applied', async () => {
    const { orderId, sagaId, engine } = await started();
    const once = reply(orderId, sagaId, 'reserve', 'SUCCEEDED');
    await database.db.transaction((tx) => engine.handleReply(tx, once));
    await database.db.transaction((tx) => engine.handleReply(tx, once));
    expect(await commandsOf(orderId)).toEqual(['ReserveInventory', 'CommitInventory']);
    expect((await rowOf(orderId)).version).toBe(2);
  });

  it('sweeps a saga past its deadline into compensation, and leaves the others alone', async () => {
    const late = await started();
    now = new Date(now.getTime() + 30_000);
    const onTime = await started();
    now = new Date(now.getTime() + 31_000); // past the first one's deadline only
    expect(await late.engine.sweep(database.db)).toBe(1);
    expect(await commandsOf(late.orderId)).toEqual(['ReserveInventory', 'ReleaseInventory']);
    expect(await rowOf(late.orderId)).toMatchObject({ status: 'COMPENSATING' });
    expect(await commandsOf(onTime.orderId)).toEqual(['ReserveInventory']);
    expect(await late.engine.sweep(database.db)).toBe(0);
  });

  it('sends a step again when its retry is due, not before', async () => {
    const { orderId, sagaId, engine } = await started();
    await database.db.transaction((tx) => engine.handleReply(tx, reply(orderId, sagaId, 'reserve', 'SUCCEEDED')));
    await database.db.transaction((tx) => engine.handleReply(tx, reply(orderId, sagaId, 'commit', 'FAILED', true)));
    expect(await engine.sweep(database.db)).toBe(0); // the backoff (1 s) has not passed
    now = new Date(now.getTime() + 1_001);
    expect(await engine.sweep(database.db)).toBe(1);
    expect(await commandsOf(orderId)).toEqual(['ReserveInventory', 'CommitInventory', 'CommitInventory']);
    expect(await rowOf(orderId)).toMatchObject({ status: 'RUNNING', currentStep: 'commit', retryAt: null });
  });

  it('tells what each transition did once it committed, and nothing of one rolled back', async () => {
    const seen: SagaObservation[] = [];
    const engine = createSagaEngine<Data>({
      definition,
      outbox,
      hooks: { local: {} },
      clock: () => now,
      observe: (o) => seen.push(o),
    });
    const orderId = crypto.randomUUID();
    const saga = await transaction(database.db, (tx) =>
      engine.start(
        tx,
        { id: crypto.randomUUID(), businessKey: orderId, data: { orderId } },
        { correlationId: orderId, causationId: null },
      ),
    );
    expect(seen).toEqual([{ kind: 'started' }, { kind: 'attempts', step: 'reserve', compensation: false, count: 1 }]);
    seen.length = 0;
    // Rolled back after the transition: nothing is told.
    await expect(
      transaction(database.db, async (tx) => {
        await engine.handleReply(tx, reply(orderId, saga.id, 'reserve', 'SUCCEEDED'));
        throw new Error('the batch failed after');
      }),
    ).rejects.toThrow('the batch failed after');
    expect(seen).toEqual([]);
    now = new Date(now.getTime() + 2_000);
    await transaction(database.db, (tx) => engine.handleReply(tx, reply(orderId, saga.id, 'reserve', 'SUCCEEDED')));
    expect(seen).toEqual([
      { kind: 'step', step: 'reserve', compensation: false, outcome: 'SUCCEEDED', seconds: 2 },
      { kind: 'attempts', step: 'commit', compensation: false, count: 1 },
    ]);
    seen.length = 0;
    now = new Date(now.getTime() + 1_000);
    await transaction(database.db, (tx) => engine.handleReply(tx, reply(orderId, saga.id, 'commit', 'SUCCEEDED')));
    expect(seen).toEqual([
      { kind: 'step', step: 'commit', compensation: false, outcome: 'SUCCEEDED', seconds: 1 },
      { kind: 'finished', outcome: 'completed', seconds: 3 },
    ]);
    // Observing needs a transaction that says when it committed: any other is a bug, and says so.
    await expect(
      database.db.transaction((tx) =>
        engine.start(
          tx,
          { id: crypto.randomUUID(), businessKey: crypto.randomUUID(), data: { orderId } },
          { correlationId: orderId, causationId: null },
        ),
      ),
    ).rejects.toThrow('onCommit needs a transaction opened by transaction()');
  });
});

describe('the saga engine across versions of a definition', () => {
  beforeEach(() => database.db.delete(sagaInstances));

  /** Version 2 charges a payment between reserving and committing. */
  const v2: SagaDefinition<Data> = {
    ...definition,
    version: 2,
    steps: [
      definition.steps[0]!,
      {
        name: 'charge',
        action: {
          kind: 'remote',
          command: ({ orderId }, ctx) => ({
            type: 'ChargePayment',
            payload: {
              sagaId: ctx.sagaId,
              step: ctx.step,
              orderId,
              customerId: 'c1',
              amount: '1.00',
              currency: 'USD',
              paymentToken: 'tok_visa',
              idempotencyKey: ctx.idempotencyKey,
            },
          }),
        },
      },
      definition.steps[1]!,
    ],
  };
  const engineOf = (current: SagaDefinition<Data>, previous: SagaDefinition<Data>[] = []) =>
    createSagaEngine<Data>({ definition: current, previous, outbox, hooks: { local: {} }, clock: () => now });

  it('runs a saga to its end under the version it started with, while new ones start under the new version', async () => {
    const old = await started(engineOf(definition));
    const upgraded = engineOf(v2, [definition]);
    const fresh = await started(upgraded);
    expect(await rowOf(old.orderId)).toMatchObject({ definitionVersion: 1 });
    expect(await rowOf(fresh.orderId)).toMatchObject({ definitionVersion: 2 });

    for (const saga of [old, fresh])
      await database.db.transaction((tx) =>
        upgraded.handleReply(tx, reply(saga.orderId, saga.sagaId, 'reserve', 'SUCCEEDED')),
      );
    expect(await commandsOf(old.orderId)).toEqual(['ReserveInventory', 'CommitInventory']);
    expect(await commandsOf(fresh.orderId)).toEqual(['ReserveInventory', 'ChargePayment']);
  });

  it('goes on under the current version once the one a saga started with is no longer registered', async () => {
    const old = await started(engineOf(definition));
    await database.db.transaction((tx) =>
      engineOf(v2).handleReply(tx, reply(old.orderId, old.sagaId, 'reserve', 'SUCCEEDED')),
    );
    expect(await commandsOf(old.orderId)).toEqual(['ReserveInventory', 'ChargePayment']);
  });
});
