import type { LiveOptions } from './contract.ts';
import { orderPayloads } from './payloads.ts';
import { liveSchema } from './schema.ts';
import { serveSocket } from './socket.ts';
import { statusStreams } from './stream.ts';

export { type GraphAnswer, type GraphQuery, LiveCloseCode, type LiveOptions } from './contract.ts';

/**
 * `orderStatusChanged` over graphql-ws on the gateway's own HTTP server and path. Each
 * subscription first gets the order's current state, read through the federated graph as the
 * subscriber (so another customer's order answers FORBIDDEN), then every later event from Kafka in
 * version order, each authorized again and resolved through the graph as of that event, until a
 * final status.
 */
export function startLiveSubscriptions({
  maxQueue = 100,
  maxSubscriptionsPerConnection = 50,
  maxConnectionsPerCustomer = 20,
  connectionInitTimeoutMs = 3000,
  ...options
}: LiveOptions) {
  const streams = statusStreams({ ...options, maxQueue });
  const payloads = orderPayloads({ query: options.query, shared: options.shared });
  const schema = liveSchema({
    apiSchema: options.apiSchema,
    payloads,
    // Each event's `order` is read as soon as it is queued, not when the subscriber gets to it: a
    // subscriber's events are delivered one after another, and the reads of a burst's events
    // overlap instead of waiting for each other's.
    subscribe: (orderId, { session, close }, info) =>
      streams.open(orderId, session, close, (event) => payloads.prefetch(event, session.caller, info)),
  });
  const socket = serveSocket(schema, {
    ...options,
    maxSubscriptionsPerConnection,
    maxConnectionsPerCustomer,
    connectionInitTimeoutMs,
  });
  return {
    /** Subscriptions open on this replica whose snapshot was read (from then on none misses an event). */
    count: streams.count,
    /** Events (snapshots included) handed to subscribers since start. */
    delivered: streams.sent,
    /** How the events' `order` payloads were read: batched reads, and orders read alone after one failed. */
    payloadReads: payloads.stats,
    close: socket.close,
  };
}
