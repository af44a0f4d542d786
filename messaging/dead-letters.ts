import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { createLogger } from '../kernel/index.ts';
import { allTopics, deadLetterTopic } from './contract.ts';
import { createKafkaTransport } from './kafka.ts';
import type { OutgoingMessage } from './transport.ts';

/**
 * The dead-letter topics, for the person who empties them (`npm run dlq`): read, filter, replay to
 * the topic a message came from, and purge. A consumer dead-letters a message with the original
 * key, value and headers plus `dlq-reason`, `dlq-consumer` and `dlq-source` (topic/partition/offset).
 *
 * Replaying is safe however often it is done: the message keeps its id, so a consumer that handled
 * it once skips it (the inbox). What stops a message that fails every time from circling for ever
 * is the `dlq-replays` header, one more on every replay: at `MAX_REPLAYS` it is not replayed again
 * unless forced.
 */
export const MAX_REPLAYS = 3;

const DLQ_HEADER = /^dlq-/;

/** One message in a dead-letter topic, as a person reads it. */
export interface DeadLetter {
  /** Where it is: `<topic>.dlq/<partition>/<offset>` (topic names without the deployment's prefix). */
  position: string;
  /** The topic it was consumed from, and is replayed to. */
  topic: string;
  /** When it was dead-lettered. */
  at: Date;
  reason: string;
  consumer: string;
  /** Where it was when it failed: `<topic>/<partition>/<offset>`. */
  source: string;
  /** How often it has been replayed already. */
  replays: number;
  /** The message type and id, from its headers (or `?` for a message that is not an envelope). */
  type: string;
  messageId: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface DeadLetterFilter {
  /** The topic the messages came from (`inventory.commands`), or its dead-letter topic. */
  topic?: string | undefined;
  /** Part of the reason, any case (`invalid`, `schema version`, `failed 10 times`). */
  reason?: string | undefined;
  /** Dead-lettered at or after. */
  since?: Date | undefined;
  /** Dead-lettered before. */
  until?: Date | undefined;
  /** These positions only. */
  positions?: string[] | undefined;
}

/** The source topic a filter names (with or without `.dlq`), or undefined for all. */
export const sourceTopicOf = (topic: string | undefined) => topic?.replace(/\.dlq$/, '');

export function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  const topic = sourceTopicOf(filter.topic);
  if (topic !== undefined && letter.topic !== topic) return false;
  if (filter.reason !== undefined && !letter.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  if (filter.since && letter.at < filter.since) return false;
  if (filter.until && letter.at >= filter.until) return false;
  if (filter.positions && !filter.positions.includes(letter.position)) return false;
  return true;
}

/** A dead letter as read from its topic (`dlqTopic` without the deployment's prefix). */
export function deadLetterOf(
  dlqTopic: string,
  message: {
    partition: number;
    offset: string;
    timestamp: string;
    key: string;
    value: string;
    headers: Record<string, string>;
  },
): DeadLetter {
  const h = message.headers;
  return {
    position: `${dlqTopic}/${message.partition}/${message.offset}`,
    topic: sourceTopicOf(dlqTopic)!,
    at: new Date(Number(message.timestamp)),
    reason: h['dlq-reason'] ?? '',
    consumer: h['dlq-consumer'] ?? '',
    source: h['dlq-source'] ?? '',
    replays: Number(h['dlq-replays'] ?? 0) || 0,
    type: h['message-type'] ?? '?',
    messageId: h['message-id'] ?? '?',
    key: message.key,
    value: message.value,
    headers: h,
  };
}

/** Whether the loop guard lets a dead letter be replayed (again). */
export const mayReplay = (letter: DeadLetter, force = false) => force || letter.replays < MAX_REPLAYS;

/** The message that replays a dead letter: as it was first sent, one replay more, and where it was replayed from. */
export function replayOf(letter: DeadLetter): OutgoingMessage {
  const headers = Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !DLQ_HEADER.test(name)));
  return {
    key: letter.key,
    value: letter.value,
    headers: { ...headers, 'dlq-replays': String(letter.replays + 1), 'dlq-replayed-from': letter.position },
  };
}

/** The dead-letter topics of a Kafka cluster, under a deployment's topic prefix. */
export function openDeadLetters({ brokers, topicPrefix }: { brokers: string[]; topicPrefix: string }): {
  list(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  replay(letters: DeadLetter[]): Promise<void>;
  purge(topic: string, until?: Date): Promise<number>;
  close(): Promise<void>;
} {
  const kafka = new Kafka({ clientId: 'sagaway-dlq', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
  const name = (topic: string) => `${topicPrefix}.${topic}`;
  const dlqTopics = (filter: DeadLetterFilter) => {
    const topic = sourceTopicOf(filter.topic);
    return allTopics.filter((t) => t.endsWith('.dlq') && (topic === undefined || t === deadLetterTopic(topic)));
  };
  let adminReady: Promise<Admin> | undefined;
  const admin = () => {
    adminReady ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })();
    return adminReady;
  };
  // Replays go out as the services' messages do, through the transport (its producer and names).
  const transport = createKafkaTransport({
    brokers,
    clientId: 'sagaway-dlq',
    topicPrefix,
    partitions: 1,
    logger: createLogger('silent'),
  });

  /** Every message of the topics up to their ends as they are now, read by a group of its own that is deleted after. */
  async function readAll(topics: string[]): Promise<DeadLetter[]> {
    const a = await admin();
    const existing = new Set(await a.listTopics());
    const ends = new Map<string, Map<number, bigint>>();
    for (const topic of topics.filter((t) => existing.has(name(t)))) {
      const offsets = await a.fetchTopicOffsets(name(topic));
      const open = offsets.filter((o) => BigInt(o.high) > BigInt(o.low));
      if (open.length > 0) ends.set(topic, new Map(open.map((o) => [o.partition, BigInt(o.high)])));
    }
    if (ends.size === 0) return [];
    const groupId = name(`dlq-reader-${randomUUID()}`);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    const letters: DeadLetter[] = [];
    const remaining = new Set([...ends].flatMap(([topic, parts]) => [...parts.keys()].map((p) => `${topic}/${p}`)));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...ends.keys()].map(name), fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const slow = setTimeout(
          () =>
            reject(
              new Error(
                `the dead-letter topics were not read to their ends within 60 s (${[...remaining].join(', ')} left)`,
              ),
            ),
          60_000,
        );
        const done = () => {
          clearTimeout(slow);
          resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const topic = batch.topic.slice(topicPrefix.length + 1);
              const end = ends.get(topic)?.get(batch.partition);
              if (end === undefined) return;
              for (const m of batch.messages) {
                if (BigInt(m.offset) >= end) break;
                letters.push(
                  deadLetterOf(topic, {
                    partition: batch.partition,
                    offset: m.offset,
                    timestamp: m.timestamp,
                    key: m.key?.toString('utf8') ?? '',
                    value: m.value?.toString('utf8') ?? '',
                    headers: Object.fromEntries(
                      Object.entries(m.headers ?? {}).map(([k, v]) => [k, v === undefined ? '' : v.toString()]),
                    ),
                  }),
                );
                if (BigInt(m.offset) + 1n >= end) remaining.delete(`${topic}/${batch.partition}`);
              }
              if (remaining.size === 0) done();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await a.deleteGroups([groupId]).catch(() => {});
    }
    return letters.sort((x, y) => x.at.getTime() - y.at.getTime() || x.position.localeCompare(y.position));
  }

  return {
    async list(filter = {}) {
      return (await readAll(dlqTopics(filter))).filter((l) => matches(l, filter));
    },

    async replay(letters) {
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const letter of letters) byTopic.set(letter.topic, [...(byTopic.get(letter.topic) ?? []), replayOf(letter)]);
      await transport.publishBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    },

    async purge(topic, until) {
      const a = await admin();
      const dlq = name(deadLetterTopic(sourceTopicOf(topic)!));
      const offsets = await a.fetchTopicOffsets(dlq);
      const high = new Map(offsets.map((o) => [o.partition, o.high]));
      const low = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
      // Up to the first message at or after `until` (none there: the partition's end), or up to the end.
      const before = until
        ? (await a.fetchTopicOffsetsByTimestamp(dlq, until.getTime())).map((o) => ({
            partition: o.partition,
            offset: BigInt(o.offset) < 0n ? high.get(o.partition)! : o.offset,
          }))
        : offsets.map((o) => ({ partition: o.partition, offset: o.high }));
      const cut = before.filter((o) => BigInt(o.offset) > (low.get(o.partition) ?? 0n));
      if (cut.length === 0) return 0;
      await a.deleteTopicRecords({ topic: dlq, partitions: cut });
      return cut.reduce((n, o) => n + Number(BigInt(o.offset) - (low.get(o.partition) ?? 0n)), 0);
    },

    async close() {
      await transport.close();
      if (adminReady) await (await adminReady).disconnect();
    },
  };
}
