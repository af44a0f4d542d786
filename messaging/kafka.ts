import { type Admin, type Consumer, Kafka, type KafkaMessage, type LogEntry, logLevel, Partitioners } from 'kafkajs';
import type { Logger } from '../kernel/index.ts';
import {
  batchHandlerOf,
  type IncomingMessage,
  retryDelay,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from './transport.ts';

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  /** Prepended to every topic name (`<prefix>.<topic>`), so several deployments can share a cluster. */
  topicPrefix: string;
  partitions: number;
  logger: Logger;
  /** How long a consumer may stay silent before the group moves its partitions elsewhere. */
  sessionTimeoutMs?: number;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Errors a topic's metadata answers while it is being created: ask again. */
const SETTLING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Waits until every partition of `topics` has a leader (up to `timeoutMs`). */
async function untilLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!SETTLING.has((err as { type?: string }).type ?? '') || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics without leaders after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The Kafka transport: keyed messages go to the same partition; a consumer works its partitions in
 * parallel and hands each partition's messages over in batches, in order; offsets are committed
 * after the handler resolved.
 */
export function createKafkaTransport({
  brokers,
  clientId,
  topicPrefix,
  partitions,
  logger,
  sessionTimeoutMs = 10_000,
}: KafkaTransportOptions): Transport {
  const log = logger.child({ component: 'kafka' });
  const kafka = new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 200, retries: 10 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[levels[level] ?? 'info'](rest, message);
      },
  });
  const name = (topic: string) => `${topicPrefix}.${topic}`;
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  let producerReady: Promise<void> | undefined;
  /** Connected once a lag is first asked for, and kept (every scrape of /metrics asks). */
  let lagAdmin: Promise<Admin> | undefined;
  const consumers = new Set<Consumer>();
  const publishBatch: Transport['publishBatch'] = async (batches) => {
    const topicMessages = batches
      .filter((b) => b.messages.length > 0)
      .map((b) => ({
        topic: name(b.topic),
        messages: b.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      }));
    if (topicMessages.length === 0) return;
    producerReady ??= producer.connect();
    await producerReady;
    // One request for every topic: the relay's whole batch costs one round trip.
    await producer.sendBatch({ acks: -1, topicMessages });
  };

  return {
    async ensureTopics(topics) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.map(name).filter((t) => !existing.has(t));
        if (missing.length > 0) {
          await admin.createTopics({
            // kafkajs's own wait retries only "no leader yet"; a broker that has just started may
            // answer "unknown topic" for a moment too, so the wait below tolerates both.
            waitForLeaders: false,
            topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
          });
          await untilLeaders(admin, missing);
        }
      } finally {
        await admin.disconnect();
      }
    },

    async publish(topic, messages) {
      await publishBatch([{ topic, messages }]);
    },

    publishBatch,

    async subscribe(options: SubscribeOptions): Promise<Subscription> {
      const { groupId, topics, fromBeginning = false, awaitAssignment = true } = options;
      const { handleBatch, maxBatch } = batchHandlerOf(options);
      const consumer = kafka.consumer({
        groupId: name(groupId),
        sessionTimeout: sessionTimeoutMs,
        heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
        // A fetch returns as soon as a message arrives; this bounds only an idle fetch, which a
        // stopping consumer waits out before it leaves its group (kafkajs's 5 s made every
        // graceful stop take 5 s).
        maxWaitTimeInMs: 1000,
      });
      consumers.add(consumer);
      let closing = false;
      await consumer.connect();
      for (const topic of topics) await consumer.subscribe({ topic: name(topic), fromBeginning });
      // A member from the group's answer to its join until it crashes or stops (kafkajs restarts a
      // crashed consumer, which then joins again).
      let member = false;
      const joined = new Promise<void>((resolve) =>
        consumer.on(consumer.events.GROUP_JOIN, () => {
          member = true;
          resolve();
        }),
      );
      consumer.on(consumer.events.CRASH, () => {
        member = false;
      });
      consumer.on(consumer.events.STOP, () => {
        member = false;
      });
      const toIncoming = (topic: string, partition: number, message: KafkaMessage): IncomingMessage => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        return {
          topic: topic.slice(topicPrefix.length + 1),
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers,
        };
      };
      // Retry in place: the partition must not move past a message whose effect is not durable.
      const untilDone = async (work: () => Promise<void>, where: object, heartbeat: () => Promise<void>) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await work();
          } catch (err) {
            if (closing) throw err;
            log.warn({ err, ...where, attempt }, 'handler failed; retrying');
            await new Promise((r) => setTimeout(r, retryDelay(attempt)));
            await heartbeat();
          }
        }
      };
      await consumer.run({
        autoCommit: true,
        // Offsets are committed after the effect, at most every 250 ms: a crash redelivers what
        // came after, and the inbox absorbs it; a commit per batch would cost a request each.
        autoCommitInterval: 250,
        eachBatchAutoResolve: false,
        // Partitions are worked in parallel; within one, batches are handled in order.
        partitionsConsumedConcurrently: partitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
          const incoming = batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m));
          for (let i = 0; i < incoming.length; i += maxBatch) {
            if (!isRunning() || isStale()) return;
            const chunk = incoming.slice(i, i + maxBatch);
            const where = {
              topic: batch.topic,
              partition: batch.partition,
              offset: chunk[0]!.offset,
              count: chunk.length,
            };
            await untilDone(() => handleBatch(chunk), where, heartbeat);
            resolveOffset(chunk.at(-1)!.offset);
            await commitOffsetsIfNecessary();
            await heartbeat();
          }
        },
      });
      if (awaitAssignment) await Promise.race([joined, new Promise((r) => setTimeout(r, 30_000))]);
      return {
        joined: () => member && !closing,
        async close() {
          closing = true;
          consumers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },

    async lag(groupId, topics) {
      lagAdmin ??= (async () => {
        const admin = kafka.admin();
        await admin.connect();
        return admin;
      })().catch((err: unknown) => {
        lagAdmin = undefined; // the next scrape tries again
        throw err;
      });
      const admin = await lagAdmin;
      // Positions first, then the ends: an end read before a commit it does not yet include would
      // make that partition's lag negative (seen on the dashboard under load).
      const committed = await admin.fetchOffsets({ groupId: name(groupId), topics: topics.map(name) });
      const ends = await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(name(topic))));
      return Object.fromEntries(
        topics.map((topic, i) => {
          const positions = new Map(
            (committed.find((t) => t.topic === name(topic))?.partitions ?? []).map((p) => [
              p.partition,
              Number(p.offset),
            ]),
          );
          const lag = ends[i]!.reduce((sum, p) => {
            const at = positions.get(p.partition) ?? -1;
            return sum + Math.max(0, Number(p.high) - (at >= 0 ? at : Number(p.low)));
          }, 0);
          return [topic, lag];
        }),
      );
    },

    async close() {
      await (await lagAdmin?.catch(() => undefined))?.disconnect();
      await Promise.all([...consumers].map((c) => c.disconnect()));
      consumers.clear();
      if (producerReady) await producer.disconnect();
    },
  };
}
