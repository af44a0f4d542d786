/**
 * The message transport every service talks to: Kafka in production, an in-process log for the
 * embedded mode and fast tests. Both keep the same contract, proven by `transport.contract.ts`:
 * - at-least-once: a message is handed to the handler until the handler resolves;
 * - ordered per key within a topic: a later message with the same key is handed over only after
 *   the earlier one was handled;
 * - partitions in parallel: messages of different partitions may be handled at the same time;
 *   `handleBatch` receives consecutive messages of one partition, in order, and the position
 *   moves past them only after it resolved (a throw hands the whole batch over again);
 * - consumer groups: within a group each message goes to one member; every group sees every message.
 */
export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage extends OutgoingMessage {
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

/** Messages of one partition, in order; resolves once the effect of all of them is durable. */
export type BatchHandler = (messages: IncomingMessage[]) => Promise<void>;

export type SubscribeOptions = SubscribeCommon &
  (
    | {
        /** Resolves once the effect of the message is durable; throws to have it handed over again. */
        handle: (message: IncomingMessage) => Promise<void>;
        handleBatch?: never;
      }
    | { handleBatch: BatchHandler; handle?: never }
  );

interface SubscribeCommon {
  groupId: string;
  topics: string[];
  /** Most messages in one `handleBatch` call (default 100). */
  maxBatch?: number;
  /** Start at the earliest retained message when the group has no committed position. */
  fromBeginning?: boolean;
  /**
   * Resolve only once the group has assigned partitions (default true). A service whose group
   * starts at the beginning need not wait; a listener that starts at the end must.
   */
  awaitAssignment?: boolean;
}

export interface Subscription {
  /** Whether the consumer is a member of its group now: it joined, and has not crashed or stopped since. */
  joined(): boolean;
  close(): Promise<void>;
}

export interface Transport {
  /** Creates topics that do not exist yet (idempotent). */
  ensureTopics(topics: string[]): Promise<void>;
  /** Resolves when every message is durably accepted, in the order given. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Several topics' messages in one request; order is kept within each topic. */
  publishBatch(batches: { topic: string; messages: OutgoingMessage[] }[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Per topic, the messages a consumer group has not handled yet: the newest offset of each
   * partition minus the group's committed position (a group that committed nothing yet counts
   * every retained message).
   */
  lag(groupId: string, topics: string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The partition a key maps to (the in-process transport; Kafka uses its own murmur2). */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** How a transport hands messages over: a per-message handler is a batch handler of one. */
export function batchHandlerOf(options: SubscribeOptions): { handleBatch: BatchHandler; maxBatch: number } {
  if (options.handleBatch) return { handleBatch: options.handleBatch, maxBatch: options.maxBatch ?? 100 };
  const { handle } = options;
  return { handleBatch: (messages) => handle(messages[0]!), maxBatch: 1 };
}

/** Backoff for a handler that failed: 50 ms doubling to 5 s. */
export function retryDelay(attempt: number): number {
  return Math.min(5000, 50 * 2 ** Math.min(attempt, 10));
}
