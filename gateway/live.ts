import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  buildSchema,
  defaultFieldResolver,
  GraphQLError,
  Kind,
  parse,
  print,
  subscribe,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Identity, TokenVerifier } from '../platform/auth.ts';
import { DomainError, ErrorCode } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { OrderEventHub, StatusEvent } from './events.ts';

/** Close codes of the subscription endpoint, beside graphql-ws's own (4403 Forbidden: a bad token). */
export enum LiveCloseCode {
  /** The client did not read its events fast enough; its queue reached the bound. */
  SubscriberTooSlow = 4413,
}

/** Runs a query through the federated graph as the given caller. */
export type GraphQuery = (
  document: DocumentNode,
  variables: Record<string, unknown>,
  caller: { identity: Identity; authorization: string; correlationId: string },
) => Promise<{ data?: Record<string, unknown> | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>;

export interface LiveOptions {
  server: Server;
  apiSchemaSdl: string;
  hub: OrderEventHub;
  query: GraphQuery;
  verifier: TokenVerifier;
  logger: Logger;
  /** Events held for one subscription before its client is closed as too slow. */
  maxQueue?: number;
  /** Subscriptions one connection may hold at once. */
  maxSubscriptionsPerConnection?: number;
}

interface Caller {
  identity: Identity;
  authorization: string;
  correlationId: string;
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const coded = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

/** Objects the gateway already resolved: their fields are read by response key (aliases included). */
const resolved = new WeakSet<object>();
const markResolved = (value: unknown): unknown => {
  if (Array.isArray(value)) value.forEach(markResolved);
  else if (value && typeof value === 'object') {
    resolved.add(value);
    Object.values(value).forEach(markResolved);
  }
  return value;
};
const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) =>
  source && typeof source === 'object' && resolved.has(source) ? (source as Record<string, unknown>)[info.path.key as string] : defaultFieldResolver(source, args, context, info);

/** `query($id: ID!) { order(id: $id) { …the subscriber's selection of OrderStatusEvent.order… } }` */
function orderQuery(info: GraphQLResolveInfo): DocumentNode {
  const selections = info.fieldNodes.flatMap((node: FieldNode) => node.selectionSet?.selections ?? []);
  const used = new Set<string>();
  const collect = (node: unknown) =>
    visit(node as DocumentNode, {
      FragmentSpread(spread) {
        if (used.has(spread.name.value)) return;
        used.add(spread.name.value);
        const fragment = info.fragments[spread.name.value];
        if (fragment) collect(fragment);
      },
    });
  selections.forEach(collect);
  const fragments: FragmentDefinitionNode[] = [...used].map((name) => info.fragments[name]!).filter(Boolean);
  const id = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'id' } } as const;
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as never,
        name: { kind: Kind.NAME, value: 'OrderAsOfEvent' },
        variableDefinitions: [{ kind: Kind.VARIABLE_DEFINITION, variable: id, type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } } }],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              name: { kind: Kind.NAME, value: 'order' },
              arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: id }],
              selectionSet: { kind: Kind.SELECTION_SET, selections },
            },
          ],
        },
      },
      ...fragments,
    ],
  } as DocumentNode;
}

const snapshotQuery = parse('query OrderSnapshot($id: ID!) { order(id: $id) { id customerId status version failureReason updatedAt } }');

/** Raises the first GraphQL error of a gateway answer with its code, or returns its data. */
function dataOf<T>(result: Awaited<ReturnType<GraphQuery>>, path: string): T | null {
  const value = result.data?.[path];
  if ((value === null || value === undefined) && result.errors?.length) {
    const first = result.errors[0]!;
    throw coded(first.message, String(first.extensions?.code ?? ErrorCode.Internal));
  }
  return (value ?? null) as T | null;
}

/**
 * `orderStatusChanged` over graphql-ws on the gateway's own HTTP server and path. The token comes
 * in `connection_init`; a bad one closes the socket with 4403. Each subscription first gets the
 * order's current state, read through the federated graph as the subscriber (so another
 * customer's order answers FORBIDDEN), then every later event from Kafka in version order, each
 * authorized again and resolved through the graph as of that event, until a final status.
 */
export function startLiveSubscriptions({ server, apiSchemaSdl, hub, query, verifier, logger, maxQueue = 100, maxSubscriptionsPerConnection = 50 }: LiveOptions) {
  const schema: GraphQLSchema = buildSchema(apiSchemaSdl);
  let active = 0;

  /**
   * Starts listening, then reads the snapshot as the subscriber: an unknown or foreign order fails
   * here, before any event, as an error of this subscription alone.
   */
  async function statusEvents(orderId: string, caller: Caller, close: (code: number, reason: string) => void): Promise<AsyncGenerator<StatusEvent>> {
    const queue: StatusEvent[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    // Listen before reading the snapshot: nothing that happens in between is lost.
    const unlisten = hub.listen(orderId, (event) => {
      if (queue.length >= maxQueue) overflow = true;
      else queue.push(event);
      wake?.();
    });
    active++;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      unlisten();
      active--;
    };
    let snapshot: StatusEvent;
    try {
      const order = dataOf<{ customerId: string; status: StatusEvent['status']; version: number; failureReason: string | null; updatedAt: string }>(
        await query(snapshotQuery, { id: orderId }, caller),
        'order',
      );
      if (!order) throw coded(`No order ${orderId}`, ErrorCode.NotFound);
      snapshot = { orderId, customerId: order.customerId, status: order.status, version: order.version, at: order.updatedAt, reason: order.failureReason };
      // This replica may already have delivered a newer event than the (cached) snapshot shows.
      const seen = hub.latest(orderId);
      if (seen && seen.version > snapshot.version) snapshot = seen;
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
        yield first;
        let last = first;
        while (!FINAL.has(last.status)) {
          if (overflow) {
            close(LiveCloseCode.SubscriberTooSlow, 'Subscriber too slow');
            return;
          }
          const next = queue.shift();
          if (!next) {
            await new Promise<void>((r) => (wake = r));
            wake = undefined;
            continue;
          }
          if (next.version <= last.version) continue; // already covered by the snapshot
          if (next.version !== last.version + 1) logger.warn({ orderId, after: last.version, got: next.version }, 'order event gap');
          // Authorized again for every event: the token may have expired, the order is checked by owner.
          const identity = await verifier.verify(caller.authorization).catch(() => {
            throw coded('The token has expired', ErrorCode.Unauthenticated);
          });
          if (!identity.isAdmin && identity.customerId !== next.customerId) throw coded('This order belongs to another customer', ErrorCode.Forbidden);
          yield next;
          last = next;
        }
      } finally {
        stop();
      }
    }
  }

  // The event's own fields come from the event; `order` is resolved through the graph as the subscriber.
  const resolvers = {
    subscribe: (_: unknown, { orderId }: { orderId: string }, ctx: { caller: Caller; close: (code: number, reason: string) => void }) => statusEvents(orderId, ctx.caller, ctx.close),
    resolve: (event: StatusEvent) => event,
  };
  schema.getSubscriptionType()!.getFields().orderStatusChanged!.subscribe = resolvers.subscribe as never;
  schema.getSubscriptionType()!.getFields().orderStatusChanged!.resolve = resolvers.resolve as never;
  const eventType = schema.getType('OrderStatusEvent') as GraphQLObjectType;
  // Subscribers of one order usually ask for the same fields as the same customer: each event is
  // resolved once per (event, caller, selection) and shared, for a few seconds.
  const shared = new Map<string, Promise<unknown>>();
  eventType.getFields().order!.resolve = (event: StatusEvent, _args, ctx: { caller: Caller }, info) => {
    const document = orderQuery(info);
    const who = ctx.caller.identity.isAdmin ? `admin:${ctx.caller.identity.customerId}` : ctx.caller.identity.customerId;
    const key = `${event.orderId}:${event.version}:${who}:${print(document)}`;
    let resolved = shared.get(key);
    if (!resolved) {
      resolved = query(document, { id: event.orderId }, ctx.caller).then((result) => markResolved(dataOf(result, 'order')));
      shared.set(key, resolved);
      setTimeout(() => shared.delete(key), 5000).unref();
    }
    return resolved;
  };

  const wss = new WebSocketServer({ server, path: '/graphql' });
  const callers = new WeakMap<object, Caller>();
  const disposable = useServer(
    {
      schema,
      subscribe: (args) => subscribe({ ...args, fieldResolver }),
      async onConnect(ctx) {
        const raw = ctx.connectionParams?.authorization;
        const authorization = typeof raw === 'string' ? raw : '';
        try {
          callers.set(ctx.extra.socket, { identity: await verifier.verify(authorization), authorization, correlationId: randomUUID() });
          return true;
        } catch (err) {
          if (!(err instanceof DomainError)) logger.error({ err }, 'subscription authentication failed');
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onSubscribe(ctx) {
        // graphql-ws has already registered the new subscription when it asks.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptionsPerConnection) {
          return [coded(`A connection may hold at most ${maxSubscriptionsPerConnection} subscriptions`, ErrorCode.RateLimited)];
        }
        return undefined;
      },
      context: (ctx) => ({
        caller: callers.get(ctx.extra.socket)!,
        close: (code: number, reason: string) => ctx.extra.socket.close(code, reason),
      }),
      // An error thrown by the event stream reaches here wrapped: give the client its code back.
      onError(_ctx, _id, _payload, errors) {
        return errors.map((e) => (e.originalError instanceof GraphQLError ? e.originalError : e));
      },
    },
    wss,
  );

  return {
    /** Subscriptions open on this replica. */
    count: () => active,
    async close() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
