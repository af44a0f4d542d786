import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, Subscription, Transport } from './transport.ts';

/** Waits until `check` holds, polling; fails with `what` after the timeout. */
async function eventually(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `perKey` messages for each key, interleaved across keys as a busy topic would see them. */
const messagesFor = (keys: string[], perKey: number) =>
  Array.from({ length: perKey }, (_, i) => keys.map((key) => ({ key, value: `${key}:${i}` }))).flat();

/**
 * The contract every transport keeps; the in-process transport and Kafka both run it.
 * `open` gives a transport whose topic names do not collide with earlier runs.
 */
export function describeTransportContract(name: string, open: () => Promise<Transport>) {
  describe(`${name} transport contract`, () => {
    let transport: Transport;
    const subscriptions: Subscription[] = [];
    const topic = () => `contract-${randomUUID().slice(0, 8)}`;
    const subscribe = async (options: Parameters<Transport['subscribe']>[0]) => {
      const s = await transport.subscribe(options);
      subscriptions.push(s);
      return s;
    };

    beforeAll(async () => {
      transport = await open();
    });
    afterAll(async () => {
      await Promise.all(subscriptions.map((s) => s.close()));
      await transport.close();
    });

    it('delivers every message, with its key and headers, in order per key', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const seen: IncomingMessage[] = [];
      await subscribe({ groupId: `g-${t}`, topics: [t], fromBeginning: true, handle: async (m) => void seen.push(m) });
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const batch = messagesFor(keys, 20);
      // Interleave keys, and publish in several calls, as services do.
      for (let i = 0; i < batch.length; i += 10) {
        await transport.publish(
          t,
          batch.slice(i, i + 10).map((m) => ({ ...m, headers: { 'message-id': m.value } })),
        );
      }
      await eventually(() => seen.length >= batch.length, 'all messages');
      expect(seen).toHaveLength(batch.length);
      expect(seen.every((m) => m.topic === t && m.headers['message-id'] === m.value)).toBe(true);
      for (const key of keys) {
        expect(seen.filter((m) => m.key === key).map((m) => m.value)).toEqual(
          batch.filter((m) => m.key === key).map((m) => m.value),
        );
      }
    });

    it('tells how many messages a group has not handled yet', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      await transport.publish(t, messagesFor(['a', 'b'], 3));
      // A group that never consumed has every retained message ahead of it: the six, or more if a
      // publish was retried (at least once: a fresh broker may answer a produce late).
      const ahead = (await transport.lag(`g-${t}`, [t]))[t]!;
      expect(ahead).toBeGreaterThanOrEqual(6);
      let handled = 0;
      await subscribe({ groupId: `g-${t}`, topics: [t], fromBeginning: true, handle: async () => void handled++ });
      await eventually(() => handled >= ahead, 'every message handled');
      // Positions are committed a moment after the handler returns.
      const deadline = Date.now() + 30_000;
      let lag = await transport.lag(`g-${t}`, [t]);
      while (lag[t] !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        lag = await transport.lag(`g-${t}`, [t]);
      }
      expect(lag).toEqual({ [t]: 0 });
    });

    it('says a subscriber is a member of its group once it joined, and not after it closed', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const s = await transport.subscribe({ groupId: `g-${t}`, topics: [t], handle: async () => {} });
      await eventually(() => s.joined(), 'the group to be joined');
      await s.close();
      expect(s.joined()).toBe(false);
    });

    it('hands a failed message over again and holds back later messages of its key until it succeeds', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const handled: string[] = [];
      let failures = 0;
      await subscribe({
        groupId: `g-${t}`,
        topics: [t],
        fromBeginning: true,
        handle: async (m) => {
          if (m.value === 'k:0' && failures < 2) {
            failures++;
            throw new Error('transient');
          }
          handled.push(m.value);
        },
      });
      await transport.publish(t, [
        { key: 'k', value: 'k:0' },
        { key: 'k', value: 'k:1' },
        { key: 'k', value: 'k:2' },
      ]);
      await eventually(() => handled.length >= 3, 'the retried messages');
      expect(failures).toBe(2);
      expect(handled).toEqual(['k:0', 'k:1', 'k:2']);
    });

    it('gives every group every message, and a group that starts late the earlier ones from the beginning', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const batch = messagesFor(['x', 'y', 'z'], 5);
      const first: string[] = [];
      await subscribe({
        groupId: `first-${t}`,
        topics: [t],
        fromBeginning: true,
        handle: async (m) => void first.push(m.value),
      });
      await transport.publish(t, batch);
      await eventually(() => first.length >= batch.length, 'the first group');
      const late: string[] = [];
      await subscribe({
        groupId: `late-${t}`,
        topics: [t],
        fromBeginning: true,
        handle: async (m) => void late.push(m.value),
      });
      await eventually(() => late.length >= batch.length, 'the late group');
      expect([...first].sort()).toEqual(batch.map((m) => m.value).sort());
      expect([...late].sort()).toEqual(batch.map((m) => m.value).sort());
    });

    it('shares a group’s messages between its members, each message to one of them', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const byMember: string[][] = [[], []];
      const group = `shared-${t}`;
      await subscribe({
        groupId: group,
        topics: [t],
        fromBeginning: true,
        handle: async (m) => void byMember[0]!.push(m.value),
      });
      await subscribe({
        groupId: group,
        topics: [t],
        fromBeginning: true,
        handle: async (m) => void byMember[1]!.push(m.value),
      });
      const batch = messagesFor(
        Array.from({ length: 24 }, (_, i) => `key-${i}`),
        2,
      );
      await transport.publish(t, batch);
      await eventually(() => byMember[0]!.length + byMember[1]!.length >= batch.length, 'the group’s messages');
      const all = [...byMember[0]!, ...byMember[1]!];
      expect(new Set(all)).toEqual(new Set(batch.map((m) => m.value)));
      expect(all).toHaveLength(batch.length);
      expect(byMember.every((m) => m.length > 0)).toBe(true);
    });

    it('hands batches of one partition in order, works partitions at the same time, and hands a failed batch over whole', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const batches: IncomingMessage[][] = [];
      let inFlight = 0;
      let overlapped = false;
      let failed = false;
      await subscribe({
        groupId: `g-${t}`,
        topics: [t],
        fromBeginning: true,
        maxBatch: 10,
        handleBatch: async (batch) => {
          inFlight++;
          if (inFlight > 1) overlapped = true;
          try {
            // Long enough for another partition's batch to start meanwhile.
            await new Promise((r) => setTimeout(r, 50));
            if (!failed && batch.some((m) => m.value === 'k3:5')) {
              failed = true;
              throw new Error('transient');
            }
            batches.push(batch);
          } finally {
            inFlight--;
          }
        },
      });
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      const sent = messagesFor(keys, 10);
      await transport.publish(t, sent);
      const seen = () => batches.flat();
      await eventually(() => new Set(seen().map((m) => m.value)).size >= sent.length, 'every message in batches');
      expect(batches.every((b) => b.length <= 10 && b.every((m) => m.partition === b[0]!.partition))).toBe(true);
      expect(batches.some((b) => b.length > 1)).toBe(true);
      expect(overlapped).toBe(true);
      expect(failed).toBe(true);
      // The failed batch came again whole: nothing was lost, and each key kept its order.
      for (const key of keys) {
        expect(
          seen()
            .filter((m) => m.key === key)
            .map((m) => m.value),
        ).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
      }
    });

    it('stops handing messages to a closed subscription', async () => {
      const t = topic();
      await transport.ensureTopics([t]);
      const seen: string[] = [];
      const s = await subscribe({
        groupId: `g-${t}`,
        topics: [t],
        fromBeginning: true,
        handle: async (m) => void seen.push(m.value),
      });
      await transport.publish(t, [{ key: 'a', value: 'before' }]);
      await eventually(() => seen.length === 1, 'the first message');
      await s.close();
      await transport.publish(t, [{ key: 'a', value: 'after' }]);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['before']);
    });
  });
}
