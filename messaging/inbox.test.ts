import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/index.ts';
import { createLogger } from '../kernel/index.ts';
import { deadLetterTopic, topics } from './contract.ts';
import { createEnvelope, type Envelope, encode } from './envelope.ts';
import { type Handlers, inboxConsumer } from './inbox.ts';
import { createMemoryTransport } from './memory.ts';
import { writeOutbox } from './outbox.ts';
import type { MessagingTables } from './tables.ts';
import { openMessagingDatabase } from './testing.ts';
import type { IncomingMessage, Transport } from './transport.ts';

/** The batched idempotent consumer on a real (embedded) PostgreSQL, fed batches by hand. */
let database: Database;
let inbox: MessagingTables['inbox'];
let outbox: MessagingTables['outbox'];
let transport: Transport;
const dead: IncomingMessage[] = [];
beforeAll(async () => {
  ({ database, inbox, outbox } = await openMessagingDatabase());
  transport = createMemoryTransport();
  await transport.subscribe({
    groupId: 'dlq-reader',
    topics: [deadLetterTopic(topics.inventoryCommands)],
    fromBeginning: true,
    handle: async (m) => void dead.push(m),
  });
});
afterAll(async () => {
  await transport.close();
  await database.close();
});

const order = () => crypto.randomUUID();
const command = (orderId: string) =>
  createEnvelope(
    'CommitInventory',
    orderId,
    { sagaId: crypto.randomUUID(), step: 'commitInventory', orderId },
    { correlationId: orderId, causationId: null },
  );
const incoming = (envelope: Envelope, offset: number, value = encode(envelope).value): IncomingMessage => ({
  ...encode(envelope),
  value,
  topic: topics.inventoryCommands,
  partition: 0,
  offset: String(offset),
  headers: {},
});

/** A handler that records what it handled and answers each command through the outbox. */
function recording(poison = new Set<string>()) {
  const handled: string[] = [];
  const handlers: Handlers = {
    async CommitInventory(envelope, tx) {
      if (poison.has(envelope.payload.orderId)) throw new Error('cannot commit this order');
      handled.push(envelope.payload.orderId);
      await writeOutbox(tx, outbox, [
        createEnvelope(
          'SagaStepReplied',
          envelope.key,
          { sagaId: envelope.payload.sagaId, step: 'commitInventory', outcome: 'SUCCEEDED' },
          { correlationId: envelope.correlationId, causationId: envelope.id },
        ),
      ]);
    },
  };
  return { handled, handlers };
}

const consumerWith = (handlers: Handlers, consumer: string) =>
  inboxConsumer({
    db: database.db,
    inbox,
    consumer,
    transport,
    handlers,
    logger: createLogger('silent'),
    maxAttempts: 2,
  });

const repliesTo = async (ids: Set<string>) =>
  (await database.db.select().from(outbox)).filter((r) => ids.has(r.key)).length;

describe('a batch of messages', () => {
  it('is handled in one transaction, in order, each effect once, however often it is delivered', async () => {
    const { handled, handlers } = recording();
    const consume = consumerWith(handlers, 'batch-once');
    const envelopes = [command(order()), command(order()), command(order())];
    const batch = envelopes.map((e, i) => incoming(e, i));
    await consume([...batch, batch[1]!]); // a repeated message within the batch
    await consume(batch); // and the whole batch delivered again
    expect(handled).toEqual(envelopes.map((e) => e.payload.orderId));
    expect(consume.stats()).toMatchObject({ batches: 2, messages: 7, transactions: 2, oneByOne: 0 });
    expect(await repliesTo(new Set(envelopes.map((e) => e.key)))).toBe(3);
  });

  it('sends a message that cannot be handled to the dead-letter topic without holding back the others', async () => {
    const poisoned = order();
    const { handled, handlers } = recording(new Set([poisoned]));
    const consume = consumerWith(handlers, 'batch-poison');
    const good = [command(order()), command(order())];
    const batch = [incoming(good[0]!, 0), incoming(command(poisoned), 1), incoming(good[1]!, 2)];
    // The poisoned command fails; the transport hands the batch over again until it is dead-lettered.
    let rounds = 0;
    for (;;) {
      rounds++;
      try {
        await consume(batch);
        break;
      } catch {
        if (rounds > 5) throw new Error('the poisoned message was never dead-lettered');
      }
    }
    // The failed batch's attempt was rolled back; its messages were then committed one at a time.
    expect(new Set(handled)).toEqual(new Set(good.map((e) => e.payload.orderId)));
    expect(consume.stats().oneByOne).toBeGreaterThanOrEqual(1);
    await expect.poll(() => dead.filter((m) => m.key === poisoned).length).toBe(1);
    expect(dead.find((m) => m.key === poisoned)!.headers['dlq-reason']).toMatch(
      /failed 2 times: cannot commit this order/,
    );
    expect(await repliesTo(new Set([...good.map((e) => e.key), poisoned]))).toBe(2);
  });

  it('dead-letters an invalid message at once and handles the rest', async () => {
    const { handled, handlers } = recording();
    const consume = consumerWith(handlers, 'batch-invalid');
    const good = command(order());
    const broken = command(order());
    await consume([incoming(broken, 0, '{"not": "an envelope"}'), incoming(good, 1)]);
    expect(handled).toEqual([good.payload.orderId]);
    await expect.poll(() => dead.filter((m) => m.key === broken.key).length).toBe(1);
  });
});

describe('an infrastructure outage', () => {
  it('is thrown back to the transport on every delivery, never dead-lettered, and the message is handled once it ends', async () => {
    const orderId = order();
    let down = true;
    const handled: string[] = [];
    const consume = consumerWith(
      {
        async CommitInventory(envelope) {
          // What postgres.js raises when the server goes away mid-transaction.
          if (down) throw Object.assign(new Error('connection lost'), { code: 'CONNECTION_CLOSED' });
          handled.push(envelope.payload.orderId);
        },
      },
      'outage',
    );
    const message = incoming(command(orderId), 0);
    // Many more deliveries than maxAttempts (2): an outage is nobody's message's fault.
    for (let delivery = 0; delivery < 5; delivery++)
      await expect(consume([message])).rejects.toThrow('connection lost');
    down = false;
    await consume([message]);
    await consume([message]); // redelivered after the commit: recorded in the inbox, not handled again
    expect(handled).toEqual([orderId]);
    expect(dead.filter((m) => m.key === orderId)).toHaveLength(0);
  });
});
