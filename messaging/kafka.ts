import { Kafka, Partitioners, logLevel, type Consumer, type LogEntry } from 'kafkajs';
import { retryDelay, type IncomingMessage, type SubscribeOptions, type Subscription, type Transport } from './transport.ts';
import type { Logger } from '../platform/logger.ts';

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

/** The Kafka transport: keyed messages go to the same partition, offsets are committed after the handler resolved. */
export function createKafkaTransport({ brokers, clientId, topicPrefix, partitions, logger, sessionTimeoutMs = 10_000 }: KafkaTransportOptions): Transport {
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
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  let producerReady: Promise<void> | undefined;
  const consumers = new Set<Consumer>();

  return {
    async ensureTopics(topics) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.map(name).filter((t) => !existing.has(t));
        if (missing.length > 0) {
          await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
        }
      } finally {
        await admin.disconnect();
      }
    },

    async publish(topic, messages) {
      if (messages.length === 0) return;
      producerReady ??= producer.connect();
      await producerReady;
      await producer.send({
        topic: name(topic),
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
    },

    async subscribe({ groupId, topics, handle, fromBeginning = false, awaitAssignment = true }: SubscribeOptions): Promise<Subscription> {
      const consumer = kafka.consumer({ groupId: name(groupId), sessionTimeout: sessionTimeoutMs, heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)) });
      consumers.add(consumer);
      let closing = false;
      await consumer.connect();
      for (const topic of topics) await consumer.subscribe({ topic: name(topic), fromBeginning });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({
        autoCommit: true,
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          const incoming: IncomingMessage = {
            topic: topic.slice(topicPrefix.length + 1),
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            headers,
          };
          // Retry in place: the partition must not move past a message whose effect is not durable.
          for (let attempt = 0; ; attempt++) {
            try {
              await handle(incoming);
              return;
            } catch (err) {
              if (closing) throw err;
              log.warn({ err, topic, partition, offset: message.offset, attempt }, 'handler failed; retrying');
              await new Promise((r) => setTimeout(r, retryDelay(attempt)));
              await heartbeat();
            }
          }
        },
      });
      if (awaitAssignment) await Promise.race([joined, new Promise((r) => setTimeout(r, 30_000))]);
      return {
        async close() {
          closing = true;
          consumers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },

    async close() {
      await Promise.all([...consumers].map((c) => c.disconnect()));
      consumers.clear();
      if (producerReady) await producer.disconnect();
    },
  };
}
