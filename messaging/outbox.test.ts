import { isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/index.ts';
import { createLogger } from '../kernel/index.ts';
import { topics } from './contract.ts';
import { createEnvelope, type Envelope } from './envelope.ts';
import { createMemoryTransport } from './memory.ts';
import { type OutboxRelay, startOutboxRelay, writeOutbox } from './outbox.ts';
import type { MessagingTables } from './tables.ts';
import { openMessagingDatabase } from './testing.ts';
import type { IncomingMessage, Transport } from './transport.ts';

/** The outbox relay on a real (embedded) PostgreSQL and the in-process transport. */
let database: Database;
let outbox: MessagingTables['outbox'];
beforeAll(async () => {
  ({ database, outbox } = await openMessagingDatabase());
});
afterAll(() => database.close());

const event = (orderId: string, version: number) =>
  createEnvelope(
    'OrderStatusChanged',
    orderId,
    { orderId, customerId: 'c', status: 'PENDING', version, reason: null, at: new Date().toISOString() },
    { correlationId: orderId, causationId: null },
  );

/** A transport that refuses to publish while `failing` is set, as Kafka does when it is down. */
function flakyTransport(inner: Transport) {
  const state = { failing: false, attempts: 0 };
  const transport: Transport = {
    ...inner,
    publishBatch: async (batch) => {
      state.attempts++;
      if (state.failing) throw Object.assign(new Error('broker unavailable'), { code: 'ECONNREFUSED' });
      return inner.publishBatch(batch);
    },
  };
  return { transport, state };
}

async function received(transport: Transport, groupId: string) {
  const seen: Envelope<'OrderStatusChanged'>[] = [];
  await transport.subscribe({
    groupId,
    topics: [topics.orderEvents],
    fromBeginning: true,
    handle: async (m: IncomingMessage) => void seen.push(JSON.parse(m.value) as Envelope<'OrderStatusChanged'>),
  });
  return seen;
}

const unpublished = async () => (await database.db.select().from(outbox).where(isNull(outbox.publishedAt))).length;

/** A relay of the test's outbox over `transport`, polling every 20 ms. */
const relayOver = (transport: Transport, lockName: string, options: { stallMs?: number } = {}) =>
  startOutboxRelay({
    db: database.db,
    outbox,
    transport,
    lockName,
    pollMs: 20,
    logger: createLogger('silent'),
    ...options,
  });

describe('the outbox relay', () => {
  let relay: OutboxRelay | undefined;
  afterAll(() => relay?.stop());

  it('publishes committed rows in commit order, each once, and marks them published', async () => {
    const inner = createMemoryTransport();
    const seen = await received(inner, 'relay-order');
    const orderId = crypto.randomUUID();
    const events = Array.from({ length: 450 }, (_, i) => event(orderId, i + 1));
    // Three transactions; more rows than one batch (200).
    for (const chunk of [events.slice(0, 100), events.slice(100, 300), events.slice(300)])
      await database.db.transaction((tx) => writeOutbox(tx, outbox, chunk));
    relay = startOutboxRelay({
      db: database.db,
      outbox,
      transport: inner,
      lockName: 'relay-order',
      pollMs: 50,
      logger: createLogger('silent'),
    });
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(450);
    expect(seen.map((e) => e.payload)).toEqual(events.map((e) => e.payload));
    expect(await unpublished()).toBe(0);
    await relay.stop();
    await inner.close();
  });

  it('keeps rows it could not publish and sends them once the transport is back, none lost, none twice', async () => {
    const inner = createMemoryTransport();
    const { transport, state } = flakyTransport(inner);
    const seen = await received(inner, 'relay-outage');
    state.failing = true;
    relay = relayOver(transport, 'relay-outage');
    const orderId = crypto.randomUUID();
    const events = [event(orderId, 1), event(orderId, 2), event(orderId, 3)];
    await database.db.transaction((tx) => writeOutbox(tx, outbox, events));
    relay.nudge();
    await expect.poll(() => state.attempts, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // Every failed round rolled back its claim: the rows are still waiting.
    expect(await unpublished()).toBe(3);
    expect(seen).toHaveLength(0);
    state.failing = false;
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(3);
    expect(seen.map((e) => e.payload.version)).toEqual([1, 2, 3]);
    expect(await unpublished()).toBe(0);
    await relay.stop();
    await inner.close();
  });

  it('counts as wedged once no round has finished well for a while, and not once one has again', async () => {
    const inner = createMemoryTransport();
    const { transport, state } = flakyTransport(inner);
    state.failing = true;
    relay = relayOver(transport, 'relay-wedged', { stallMs: 300 });
    const orderId = crypto.randomUUID();
    await database.db.transaction((tx) => writeOutbox(tx, outbox, [event(orderId, 1)]));
    expect(() => relay!.check()).not.toThrow();
    await expect
      .poll(
        () => {
          try {
            relay!.check();
            return 'fine';
          } catch (err) {
            return (err as Error).message;
          }
        },
        { timeout: 10_000 },
      )
      .toMatch(/^no relay round finished well for \d+ s: broker unavailable$/);
    state.failing = false;
    await expect.poll(() => unpublished(), { timeout: 10_000 }).toBe(0);
    expect(() => relay!.check()).not.toThrow();
    await relay.stop();
    await inner.close();
  });
});
