import type { Logger } from '../kernel/index.ts';
import {
  type BatchHandler,
  batchHandlerOf,
  type IncomingMessage,
  type OutgoingMessage,
  partitionOf,
  retryDelay,
  type Subscription,
  type Transport,
} from './transport.ts';

interface Log {
  partitions: IncomingMessage[][];
}

interface Member {
  handleBatch: BatchHandler;
  maxBatch: number;
  closed: boolean;
}

interface Group {
  members: Member[];
  /** Next offset to hand over, per topic and partition. */
  positions: Map<string, number[]>;
  running: Set<string>;
}

/**
 * An in-process transport with Kafka's contract: topics are partitioned logs keyed like Kafka,
 * each group keeps a position per partition and advances it only after the handler resolved, a
 * failing handler gets the same message again after a backoff. Nothing survives the process,
 * which is the embedded mode's trade-off (the database's outbox republishes what was not sent).
 */
export function createMemoryTransport({
  partitions = 4,
  logger,
}: {
  partitions?: number;
  logger?: Logger;
} = {}): Transport {
  const logs = new Map<string, Log>();
  const groups = new Map<string, Group>();
  let closed = false;

  const logOf = (topic: string): Log => {
    let log = logs.get(topic);
    if (!log) {
      log = { partitions: Array.from({ length: partitions }, () => []) };
      logs.set(topic, log);
    }
    return log;
  };

  const pump = (groupId: string, group: Group, topic: string, partition: number) => {
    const slot = `${topic}/${partition}`;
    if (group.running.has(slot) || closed) return;
    group.running.add(slot);
    const run = async () => {
      const log = logOf(topic).partitions[partition]!;
      const positions = group.positions.get(topic)!;
      let attempt = 0;
      while (!closed && positions[partition]! < log.length) {
        const live = group.members.filter((m) => !m.closed);
        if (live.length === 0) break;
        // A partition belongs to one member at a time, as with Kafka's assignment.
        const member = live[partition % live.length]!;
        const batch = log.slice(positions[partition]!, positions[partition]! + member.maxBatch);
        try {
          await member.handleBatch(batch);
          positions[partition]! += batch.length;
          attempt = 0;
        } catch (err) {
          logger?.warn(
            { err, groupId, topic, partition, offset: batch[0]!.offset, count: batch.length },
            'handler failed; redelivering',
          );
          await new Promise((r) => setTimeout(r, retryDelay(attempt++)));
        }
      }
      group.running.delete(slot);
    };
    void run();
  };

  const wake = (topic: string, partition: number) => {
    for (const [groupId, group] of groups) {
      if (group.positions.has(topic)) pump(groupId, group, topic, partition);
    }
  };

  const append = (topic: string, messages: OutgoingMessage[]) => {
    if (closed) throw new Error('transport is closed');
    const log = logOf(topic);
    const touched = new Set<number>();
    for (const m of messages) {
      const p = partitionOf(m.key, partitions);
      const part = log.partitions[p]!;
      part.push({ ...m, headers: { ...m.headers }, topic, partition: p, offset: String(part.length) });
      touched.add(p);
    }
    for (const p of touched) queueMicrotask(() => wake(topic, p));
  };

  return {
    async ensureTopics(topics) {
      topics.forEach(logOf);
    },
    async publishBatch(batches) {
      for (const { topic, messages } of batches) append(topic, messages);
    },
    async publish(topic, messages) {
      append(topic, messages);
    },
    async subscribe(options): Promise<Subscription> {
      const { groupId, topics, fromBeginning = false } = options;
      let group = groups.get(groupId);
      if (!group) {
        group = { members: [], positions: new Map(), running: new Set() };
        groups.set(groupId, group);
      }
      const member: Member = { ...batchHandlerOf(options), closed: false };
      group.members.push(member);
      for (const topic of topics) {
        const log = logOf(topic);
        if (!group.positions.has(topic)) {
          group.positions.set(
            topic,
            log.partitions.map((p) => (fromBeginning ? 0 : p.length)),
          );
        }
        for (let p = 0; p < partitions; p++) pump(groupId, group, topic, p);
      }
      const g = group;
      return {
        joined: () => !member.closed && !closed,
        async close() {
          member.closed = true;
          g.members = g.members.filter((m) => m !== member);
          for (const topic of topics) for (let p = 0; p < partitions; p++) pump(groupId, g, topic, p);
        },
      };
    },
    async lag(groupId, topics) {
      const group = groups.get(groupId);
      return Object.fromEntries(
        topics.map((topic) => {
          const log = logOf(topic);
          const positions = group?.positions.get(topic);
          return [topic, log.partitions.reduce((sum, p, i) => sum + p.length - (positions?.[i] ?? 0), 0)];
        }),
      );
    },
    async close() {
      closed = true;
    },
  };
}
