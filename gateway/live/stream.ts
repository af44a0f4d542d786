import { parse } from 'graphql';
import type { Logger } from '../../kernel/index.ts';
import { DomainError, ErrorCode } from '../../kernel/index.ts';
import { isFinalOrderStatus } from '../../messaging/wire.ts';
import type { Authenticator, Caller, Credentials } from '../api-keys.ts';
import type { OrderEventHub, StatusEvent } from '../events.ts';
import { coded, dataOf, type GraphQuery, LiveCloseCode } from './contract.ts';

/** A subscriber's socket: who it is as of the last check, and what it sent to be checked again. */
export interface Session {
  caller: Caller;
  credentials: Credentials;
}

const snapshotQuery = parse(
  'query OrderSnapshot($id: ID!) { order(id: $id) { id customerId status version failureReason updatedAt } }',
);

/**
 * The status events of one order for one subscriber, bounded: the order's current state first, then
 * every later event in version order until a final status. A subscriber whose queue reaches
 * `maxQueue` is closed as too slow rather than buffered without end.
 */
export function statusStreams({
  hub,
  query,
  authenticate,
  logger,
  maxQueue,
}: {
  hub: OrderEventHub;
  query: GraphQuery;
  authenticate: Authenticator['authenticate'];
  logger: Logger;
  maxQueue: number;
}) {
  let active = 0;
  /** Events sent to subscribers since start (snapshots included). */
  let sent = 0;

  /**
   * Starts listening, then reads the snapshot as the subscriber: an unknown or foreign order fails
   * here, before any event, as an error of this subscription alone.
   */
  async function open(
    orderId: string,
    session: Session,
    close: (code: number, reason: string) => void,
    /** Told of each event as it is queued, before the subscriber gets to it (to start its reads). */
    queued: (event: StatusEvent) => void = () => {},
  ): Promise<AsyncGenerator<StatusEvent>> {
    const queue: StatusEvent[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    /** The newest version delivered: an older event is skipped, not read. */
    let delivered = 0;
    // Listen before reading the snapshot: nothing that happens in between is lost.
    const unlisten = hub.listen(orderId, (event) => {
      if (queue.length >= maxQueue) overflow = true;
      else {
        queue.push(event);
        if (event.version > delivered) queued(event);
      }
      wake?.();
    });
    // Counted as open once its snapshot is read: from then on it misses no event.
    let counted = false;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      unlisten();
      if (counted) active--;
    };
    let snapshot: StatusEvent;
    try {
      const order = dataOf<{
        customerId: string;
        status: StatusEvent['status'];
        version: number;
        failureReason: string | null;
        updatedAt: string;
      }>(await query(snapshotQuery, { id: orderId }, session.caller), 'order');
      if (!order) throw coded(`No order ${orderId}`, ErrorCode.NotFound);
      snapshot = {
        orderId,
        customerId: order.customerId,
        status: order.status,
        version: order.version,
        at: order.updatedAt,
        reason: order.failureReason,
      };
      // This replica may already have delivered a newer event than the (cached) snapshot shows.
      const seen = hub.latest(orderId);
      if (seen && seen.version > snapshot.version) snapshot = seen;
      active++;
      counted = true;
    } catch (err) {
      stop();
      throw err;
    }
    const events = stream(snapshot);
    // A subscription may end before its first event is pulled; its listener must go then too.
    const end = events.return.bind(events);
    events.return = (value) => {
      stop();
      return end(value);
    };
    return events;

    async function* stream(first: StatusEvent): AsyncGenerator<StatusEvent> {
      try {
        delivered = first.version;
        sent++;
        yield first;
        let last = first;
        while (!isFinalOrderStatus(last.status)) {
          if (overflow) {
            close(LiveCloseCode.SubscriberTooSlow, 'Subscriber too slow');
            return;
          }
          const next = queue.shift();
          if (!next) {
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = undefined;
            continue;
          }
          if (next.version <= last.version) continue; // already covered by the snapshot
          if (next.version !== last.version + 1)
            logger.warn({ orderId, after: last.version, got: next.version }, 'order event gap');
          await authorize(session, next);
          delivered = next.version;
          sent++;
          yield next;
          last = next;
        }
      } finally {
        stop();
      }
    }
  }

  /**
   * Authorized again for every event: the token may have expired or the key been revoked; the
   * order is checked by owner.
   */
  async function authorize(session: Session, event: StatusEvent) {
    const principal = await authenticate(session.credentials).catch((err: unknown) => {
      throw coded(err instanceof DomainError ? err.message : 'The token is invalid', ErrorCode.Unauthenticated);
    });
    session.caller = { ...session.caller, ...principal };
    const { identity } = principal;
    if (!identity.isAdmin && identity.customerId !== event.customerId)
      throw coded('This order belongs to another customer', ErrorCode.Forbidden);
  }

  /** Subscriptions open whose snapshot was read (from then on none misses an event). */
  return { open, count: () => active, sent: () => sent };
}
