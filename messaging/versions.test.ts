import { describe, expect, it } from 'vitest';
import { PREVIOUS_SCHEMA_VERSION, previousVersion, SCHEMA_VERSION } from './contract.ts';
import { createEnvelope, decode, encode, InvalidMessageError } from './envelope.ts';

/**
 * Messages across a rolling deploy: a consumer reads the current schema version and the previous
 * one (upcast on arrival), a producer can write the previous one for replicas not yet upgraded, and
 * a version it does not know is refused (dead-lettered, to be replayed after the upgrade).
 */
const SAGA = '00000000-0000-4000-8000-0000000000ff';
const ORDER = '00000000-0000-4000-8000-000000000001';
const causation = { correlationId: 'c1', causationId: null };
const written = (version: number, type: string, payload: unknown) => ({
  value: JSON.stringify({
    id: crypto.randomUUID(),
    type,
    schemaVersion: version,
    correlationId: 'c1',
    causationId: null,
    occurredAt: new Date().toISOString(),
    key: ORDER,
    payload,
  }),
});

describe('a consumer of this release', () => {
  it('reads a failed reply of the previous version, upcast to the current shape', () => {
    const read = decode(
      written(PREVIOUS_SCHEMA_VERSION, 'SagaStepReplied', {
        sagaId: SAGA,
        step: 'chargePayment',
        outcome: 'FAILED',
        reason: 'The card was declined',
        retriable: false,
      }),
    );
    expect(read).toMatchObject({ schemaVersion: SCHEMA_VERSION, writtenIn: PREVIOUS_SCHEMA_VERSION });
    expect(read.payload).toEqual({
      sagaId: SAGA,
      step: 'chargePayment',
      outcome: 'FAILED',
      failure: { reason: 'The card was declined', retriable: false },
    });
  });

  it('reads a succeeded reply and a message whose type did not change, of the previous version', () => {
    expect(
      decode(
        written(PREVIOUS_SCHEMA_VERSION, 'SagaStepReplied', {
          sagaId: SAGA,
          step: 'reserveInventory',
          outcome: 'SUCCEEDED',
        }),
      ).payload,
    ).toEqual({ sagaId: SAGA, step: 'reserveInventory', outcome: 'SUCCEEDED' });
    const command = { sagaId: SAGA, step: 'commitInventory', orderId: ORDER };
    expect(decode(written(PREVIOUS_SCHEMA_VERSION, 'CommitInventory', command)).payload).toEqual(command);
  });

  it('reads the current version as it is', () => {
    const reply = createEnvelope(
      'SagaStepReplied',
      ORDER,
      { sagaId: SAGA, step: 'chargePayment', outcome: 'FAILED', failure: { reason: 'declined', retriable: true } },
      causation,
    );
    const read = decode(encode(reply));
    expect(read.payload).toEqual(reply.payload);
    expect(read).not.toHaveProperty('writtenIn');
  });

  it.each([
    [SCHEMA_VERSION + 1, /schema version 3 of CommitInventory is not one this consumer reads \(1, 2\)/],
    [0, /schema version 0 of CommitInventory is not one this consumer reads/],
  ])('refuses version %i as invalid, to be dead-lettered', (version, reason) => {
    const message = written(version, 'CommitInventory', { sagaId: SAGA, step: 'commitInventory', orderId: ORDER });
    expect(() => decode(message)).toThrow(InvalidMessageError);
    expect(() => decode(message)).toThrow(reason);
  });

  it('refuses a previous-version payload that was not valid then either', () => {
    const message = written(PREVIOUS_SCHEMA_VERSION, 'SagaStepReplied', { sagaId: SAGA, step: 'x', outcome: 'MAYBE' });
    expect(() => decode(message)).toThrow(/invalid SagaStepReplied payload \(version 1\)/);
  });
});

describe('a producer of this release writing the previous version', () => {
  it('writes what the previous release validated, and what this one reads back unchanged', () => {
    const reply = createEnvelope(
      'SagaStepReplied',
      ORDER,
      { sagaId: SAGA, step: 'refundPayment', outcome: 'FAILED', failure: { reason: 'refused', retriable: true } },
      causation,
    );
    const message = encode(reply, reply, PREVIOUS_SCHEMA_VERSION);
    const onTheWire = JSON.parse(message.value);
    expect(onTheWire.schemaVersion).toBe(PREVIOUS_SCHEMA_VERSION);
    expect(previousVersion.SagaStepReplied!.schema.parse(onTheWire.payload)).toEqual({
      sagaId: SAGA,
      step: 'refundPayment',
      outcome: 'FAILED',
      reason: 'refused',
      retriable: true,
    });
    expect(decode(message).payload).toEqual(reply.payload);
  });

  it('relays an outbox row the previous release stored as it was stored, whatever version it writes', () => {
    const stored = JSON.parse(
      written(PREVIOUS_SCHEMA_VERSION, 'SagaStepReplied', {
        sagaId: SAGA,
        step: 'chargePayment',
        outcome: 'FAILED',
        reason: 'declined',
      }).value,
    );
    for (const version of [PREVIOUS_SCHEMA_VERSION, SCHEMA_VERSION]) {
      const message = encode(stored, stored, version);
      expect(JSON.parse(message.value)).toEqual(stored);
      expect(decode(message).payload).toMatchObject({ outcome: 'FAILED', failure: { reason: 'declined' } });
    }
  });

  it('cannot write a version this release does not know', () => {
    const command = createEnvelope('CommitInventory', ORDER, { sagaId: SAGA, step: 's', orderId: ORDER }, causation);
    expect(() => encode(command, command, SCHEMA_VERSION + 1)).toThrow(/cannot write schema version 3/);
  });
});
