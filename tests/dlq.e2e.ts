import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, requireKafka, startSystem, waitFor } from '../harness/index.ts';
import { createLogger } from '../kernel/index.ts';
import { createKafkaTransport, type Transport, topics } from '../messaging/wire.ts';

/**
 * `npm run dlq` against a real broker: a message no consumer can read and a command whose handler
 * failed every attempt land in the dead-letter topic; the operator lists them, reads one, replays
 * the command (its order then completes), watches the unreadable one come back with its replay
 * counted, and purges the topic. The services count the replays in their metrics.
 */
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
const root = path.resolve(import.meta.dirname, '..');
let system: RunningSystem;
let brokers: string[];
let producer: Transport;

beforeAll(async () => {
  brokers = await requireKafka();
  system = await startSystem('dlq', {
    env: { SAGA_DEADLINE_MS: '120000' },
    // The inventory service's handlers fail twice (retriably), and it gives a message two attempts.
    serviceEnv: { inventory: { FAULTS: 'consumer.handleFail:2', CONSUMER_MAX_ATTEMPTS: '2' } },
  });
  producer = createKafkaTransport({
    brokers,
    clientId: 'dlq-test',
    topicPrefix: system.topicPrefix,
    partitions: 3,
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  await producer?.close();
  await system?.stop();
});

/** Runs `npm run dlq -- <args>` as an operator would, against this system's topics. */
async function dlq(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: system.topicPrefix },
  });
}
type Listed = { position: string; topic: string; type: string; reason: string; replays: number; key: string };
const listed = async (...filters: string[]) =>
  (await dlq('list', '--json', ...filters)).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Listed);

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${system.serviceUrl('inventory')}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('npm run dlq', () => {
  it('lists, shows, replays and purges dead letters', async () => {
    // A message no consumer can read: dead-lettered at once.
    await producer.publish(topics.inventoryCommands, [{ key: 'garbage', value: 'not json', headers: {} }]);
    await waitFor(
      () => listed(),
      (l) => l.length === 1,
      { what: 'the unreadable message in the DLQ' },
    );

    // A command whose handler fails on both its attempts: dead-lettered, the order waits.
    const alice = await system.client('alice');
    const order = await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    const both = await waitFor(
      () => listed(),
      (l) => l.length === 2,
      { what: 'the failed command in the DLQ' },
    );
    expect(both).toMatchObject([
      { topic: 'inventory.commands', type: '?', key: 'garbage', reason: 'message is not JSON', replays: 0 },
      { topic: 'inventory.commands', type: 'ReserveInventory', key: order.id, replays: 0 },
    ]);
    expect(both[1]!.reason).toMatch(/^failed 2 times: injected failure of the handler/);
    expect((await alice.orderStatus(order.id))!.status).toBe('PENDING');

    const failed = await listed('--reason', 'FAILED 2');
    expect(failed.map((l) => l.key)).toEqual([order.id]);
    expect(await listed('--topic', 'payment.commands')).toEqual([]);
    expect(await listed('--since', '1h', '--topic', 'inventory.commands.dlq')).toHaveLength(2);
    expect(await listed('--until', '2000-01-01T00:00:00Z')).toEqual([]);

    const shown = JSON.parse((await dlq('show', failed[0]!.position)).stdout);
    expect(shown).toMatchObject({
      consumer: 'inventory',
      message: { type: 'ReserveInventory', payload: { orderId: order.id, lines: [{ productId: BOOK, quantity: 1 }] } },
    });

    // Replayed, the command goes through this time and the saga carries on to the end.
    const dry = await dlq('replay', '--reason', 'failed 2', '--dry-run');
    expect(dry.stdout).toMatch(new RegExp(`^would replay .*${failed[0]!.position}`));
    expect((await alice.orderStatus(order.id))!.status).toBe('PENDING');
    await dlq('replay', '--position', failed[0]!.position);
    await waitFor(
      async () => (await alice.orderStatus(order.id))!,
      (o) => o.status === 'COMPLETED',
      { what: 'the replayed order to complete' },
    );

    // The unreadable message fails again when replayed, and comes back with its replay counted.
    await dlq('replay', '--reason', 'not JSON');
    const again = await waitFor(
      () => listed('--reason', 'not JSON'),
      (l) => l.length === 2,
      {
        what: 'the replayed unreadable message back in the DLQ',
      },
    );
    expect(again.map((l) => l.replays)).toEqual([0, 1]);
    await waitFor(
      () => metric('sagaway_dead_letter_replays_total', 'topic="inventory.commands"'),
      (n) => n === 2,
      { what: 'the replays counted' },
    );
    expect(await metric('sagaway_dead_letters_total', 'reason="invalid"')).toBe(2);
    expect(await metric('sagaway_dead_letters_total', 'reason="exhausted"')).toBe(1);

    // Replaying everything must be asked for; purging needs a topic and a yes; then the topic is empty.
    await expect(dlq('replay')).rejects.toMatchObject({ code: 2 });
    await expect(dlq('purge', '--topic', 'inventory.commands')).rejects.toMatchObject({ code: 2 });
    expect(await listed()).toHaveLength(3);
    const purged = await dlq('purge', '--topic', 'inventory.commands', '--yes');
    expect(purged.stderr).toContain('deleted 3 dead letters');
    expect(await listed()).toEqual([]);
  });
});
