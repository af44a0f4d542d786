import { randomUUID } from 'node:crypto';
import type { Logger } from '../kernel/index.ts';
import type { AnyEnvelope, IncomingMessage, Subscription, Transport } from '../messaging/wire.ts';
import { decode, type Envelope, inProcessSpan, topics } from '../messaging/wire.ts';

/** An order's status change as subscribers see it. */
export interface StatusEvent {
  orderId: string;
  customerId: string;
  status: Envelope<'OrderStatusChanged'>['payload']['status'];
  version: number;
  at: string;
  reason: string | null;
}

export type EventListener = (event: StatusEvent) => void;

export interface OrderEventHub {
  /** Calls `listener` with every later event of the order; returns how to stop. */
  listen(orderId: string, listener: EventListener): () => void;
  /** The newest event this replica has seen for the order, if it still remembers it. */
  latest(orderId: string): StatusEvent | undefined;
  /** Called with every event before it reaches listeners (cache invalidation). */
  beforeDelivery(hook: (event: StatusEvent) => Promise<void>): void;
  /** Whether its consumer is a member of its group now (events are reaching this replica). */
  joined(): boolean;
  close(): Promise<void>;
}

/**
 * Every gateway replica consumes `order.events` in a consumer group of its own, so each sees every
 * event, and fans them out in memory to the subscriptions it serves. It remembers the latest event
 * of recently active orders, so a subscription that starts while events are in flight cannot miss
 * one between its snapshot and its first live event.
 */
export async function startOrderEventHub({
  transport,
  logger,
  remember = 10_000,
  onApiKeyRevoked,
}: {
  transport: Transport;
  logger: Logger;
  remember?: number;
  /** Revocations travel on the same topic: every replica forgets the key at once. */
  onApiKeyRevoked?: (apiKeyId: string) => void;
}): Promise<OrderEventHub> {
  const listeners = new Map<string, Set<EventListener>>();
  const recent = new Map<string, StatusEvent>();
  const hooks: ((event: StatusEvent) => Promise<void>)[] = [];

  const isNew = (event: StatusEvent) => {
    const previous = recent.get(event.orderId);
    return !previous || previous.version < event.version;
  };
  const rememberEvent = (event: StatusEvent) => {
    recent.delete(event.orderId);
    recent.set(event.orderId, event);
    // Oldest first in a Map: trim from the front.
    while (recent.size > remember) recent.delete(recent.keys().next().value!);
  };

  let subscription: Subscription | undefined = await transport.subscribe({
    groupId: `gateway-${randomUUID()}`,
    topics: [topics.orderEvents],
    fromBeginning: false,
    handleBatch: async (messages) => {
      const events: { event: StatusEvent; message: IncomingMessage; envelope: AnyEnvelope }[] = [];
      for (const message of messages) {
        let envelope: ReturnType<typeof decode>;
        try {
          envelope = decode(message);
        } catch (err) {
          logger.warn({ err, offset: message.offset }, 'ignoring an invalid order event');
          continue;
        }
        if (envelope.type === 'ApiKeyRevoked') onApiKeyRevoked?.(envelope.payload.apiKeyId);
        if (envelope.type !== 'OrderStatusChanged') continue;
        const event: StatusEvent = { ...envelope.payload };
        if (isNew(event)) events.push({ event, message, envelope }); // else a redelivered or older event
      }
      // Every hook of the batch first (in one round trip), then the deliveries, in order. A hook
      // that fails fails the batch, which is retried: no event is delivered before its hooks ran.
      await Promise.all(events.flatMap(({ event }) => hooks.map((hook) => hook(event))));
      for (const { event, message, envelope } of events) {
        if (!isNew(event)) continue; // the same order twice in one batch
        rememberEvent(event);
        const subscribers = listeners.get(event.orderId);
        if (!subscribers) continue;
        // The trace of the order's saga ends here, where its event reaches the subscribers.
        await inProcessSpan(message, envelope, 'gateway', async () => {
          for (const listener of subscribers) listener(event);
        });
      }
    },
  });

  return {
    listen(orderId, listener) {
      let set = listeners.get(orderId);
      if (!set) {
        set = new Set();
        listeners.set(orderId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(orderId);
      };
    },
    latest: (orderId) => recent.get(orderId),
    joined: () => subscription?.joined() ?? false,
    beforeDelivery(hook) {
      hooks.push(hook);
    },
    async close() {
      await subscription?.close();
      subscription = undefined;
      listeners.clear();
    },
  };
}
