import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, requireKafka, startSystem, waitFor } from '../harness/index.ts';
import { openDeadLetters, PREVIOUS_SCHEMA_VERSION, SCHEMA_VERSION } from '../messaging/index.ts';

/**
 * A rolling deploy in the middle: replicas that still write the previous message schema version
 * (as the previous release does, and as this one does with MESSAGE_SCHEMA_VERSION=1) run beside
 * replicas that write the current one — two replicas of the orchestrator side by side, one of each,
 * and a payment service still on the previous version. Every saga must end as it would on one
 * version, with nothing dead-lettered, and both versions must really have been in flight.
 */
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
let system: RunningSystem;
let brokers: string[];

beforeAll(async () => {
  brokers = await requireKafka();
  system = await startSystem('rolling', {
    replicas: { order: 2 },
    serviceEnv: { payment: { MESSAGE_SCHEMA_VERSION: String(PREVIOUS_SCHEMA_VERSION) } },
  });
  // The second orchestrator replica is "not yet upgraded": it writes the previous version.
  await system.signal('order', 'SIGTERM', 1);
  await system.restart('order', { replica: 1, env: { MESSAGE_SCHEMA_VERSION: String(PREVIOUS_SCHEMA_VERSION) } });
});
afterAll(async () => {
  await system?.stop();
});

/** The schema versions of every message on a topic so far. */
async function versionsOn(topic: string, atLeast: number): Promise<number[]> {
  const kafka = new Kafka({ clientId: 'rolling-test', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${system.topicPrefix}.versions-${randomUUID()}` });
  const seen: number[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: `${system.topicPrefix}.${topic}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void seen.push(JSON.parse(message.value!.toString()).schemaVersion),
    });
    await waitFor(
      async () => seen.length,
      (n) => n >= atLeast,
      { what: `${atLeast} messages on ${topic}` },
    );
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('replicas of two schema versions side by side', () => {
  it('run every saga to its end, dead-letter nothing, and really exchange both versions', async () => {
    const alice = await system.client('alice');
    const tokens = [...Array(8).fill('tok_visa'), ...Array(4).fill('tok_chargeDeclined')] as string[];
    const placed = await Promise.all(
      tokens.map(async (paymentToken) => ({
        paymentToken,
        id: (await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken })).id,
      })),
    );
    for (const { id, paymentToken } of placed) {
      const order = await waitFor(
        async () => (await alice.orderStatus(id))!,
        (o) => o.status === 'COMPLETED' || o.status === 'FAILED',
        { what: `order ${id} to end`, timeoutMs: 60_000 },
      );
      if (paymentToken === 'tok_visa') expect(order.status).toBe('COMPLETED');
      else expect(order).toMatchObject({ status: 'FAILED', failureReason: expect.stringMatching(/declined/i) });
    }

    // Replies: the payment service's in the previous version, inventory's in the current one; the
    // orchestrators read both, the declines included (the message whose shape changed).
    // Three replies per saga: reserve, charge, commit — or reserve, the declined charge, release.
    const replies = await versionsOn('saga.replies', placed.length * 3);
    expect(new Set(replies)).toEqual(new Set([PREVIOUS_SCHEMA_VERSION, SCHEMA_VERSION]));

    const letters = openDeadLetters({ brokers, topicPrefix: system.topicPrefix });
    try {
      expect(await letters.list()).toEqual([]);
    } finally {
      await letters.close();
    }
  });
});
