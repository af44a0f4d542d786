import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import {
  buildSchema,
  type DocumentNode,
  defaultFieldResolver,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionSetNode,
  subscribe,
  visit,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Identity, Logger } from '../kernel/index.ts';
import { DomainError, ErrorCode, limitChecker, type QueryLimits } from '../kernel/index.ts';
import type { Authenticator, Credentials } from './api-keys.ts';
import type { OrderEventHub, StatusEvent } from './events.ts';

/** Close codes of the subscription endpoint, beside graphql-ws's own (4403 Forbidden: a bad token). */
export enum LiveCloseCode {
  /** The client did not read its events fast enough; its queue reached the bound. */
  SubscriberTooSlow = 4413,
  /** The customer already holds as many connections as one may. */
  TooManyConnections = 4429,
}

/** Runs a query through the federated graph as the given caller. */
export type GraphQuery = (
  document: DocumentNode,
  variables: Record<string, unknown>,
  caller: { identity: Identity; authorization: string; correlationId: string },
) => Promise<{
  data?: Record<string, unknown> | null;
  errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}>;

export interface LiveOptions {
  server: Server;
  apiSchemaSdl: string;
  hub: OrderEventHub;
  query: GraphQuery;
  /** Bearer tokens and API keys, as over HTTP. */
  authenticate: Authenticator['authenticate'];
  logger: Logger;
  /** Events held for one subscription before its client is closed as too slow. */
  maxQueue?: number;
  /** Subscriptions one connection may hold at once. */
  maxSubscriptionsPerConnection?: number;
  /** Connections one customer may hold open on this replica. */
  maxConnectionsPerCustomer?: number;
  /** The same limits as HTTP: depth, aliases, cost, page sizes, introspection, and the largest frame. */
  limits: QueryLimits & { maxBodyBytes: number };
  /** How long a socket may stay open without a valid `connection_init`. */
  connectionInitTimeoutMs?: number;
  /** Counts a connection against its client address: milliseconds to wait, or 0. */
  admitAddress?: (request: IncomingMessage) => Promise<number>;
}

interface Caller {
  /** What the client sent in `connection_init`: checked again for every event. */
  credentials: Credentials;
  /** As of the last check. */
  identity: Identity;
  authorization: string;
  correlationId: string;
}

/** Errors ws raises for what a client sent (ws's codes start WS_ERR_): too big, malformed, not UTF-8… */
const isProtocolError = (err: unknown) =>
  typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('WS_ERR_');

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
  source && typeof source === 'object' && resolved.has(source)
    ? (source as Record<string, unknown>)[info.path.key as string]
    : defaultFieldResolver(source, args, context, info);

/** Every `order` selection under the subscription's root field, by response key (aliases kept apart). */
function orderSelections(info: GraphQLResolveInfo): Map<string, FieldNode[]> {
  const byKey = new Map<string, FieldNode[]>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined, atEvent: boolean) => {
    for (const node of set?.selections ?? []) {
      if (node.kind === Kind.INLINE_FRAGMENT) walk(node.selectionSet, atEvent);
      else if (node.kind === Kind.FRAGMENT_SPREAD) {
        if (seen.has(node.name.value)) continue;
        seen.add(node.name.value);
        walk(info.fragments[node.name.value]?.selectionSet, atEvent);
      } else if (!atEvent)
        walk(node.selectionSet, true); // the root field: its selection is the event
      else if (node.name.value === 'order') {
        const key = node.alias?.value ?? node.name.value;
        byKey.set(key, [...(byKey.get(key) ?? []), node]);
      }
    }
  };
  walk(info.operation.selectionSet, false);
  return byKey;
}

/**
 * `query($id: ID!) { a: order(id: $id) { …a's selection… } b: order(id: $id) { … } }`: every
 * `order` of the subscriber's operation in one query, so an event costs one federated read however
 * many aliases ask for its order.
 */
function orderQuery(info: GraphQLResolveInfo): DocumentNode {
  const byKey = orderSelections(info);
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
  const id = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'id' } } as const;
  const fields = [...byKey].map(([key, nodes]) => {
    const selections = nodes.flatMap((node) => node.selectionSet?.selections ?? []);
    selections.forEach(collect);
    return {
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: key },
      name: { kind: Kind.NAME, value: 'order' },
      arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: id }],
      selectionSet: { kind: Kind.SELECTION_SET, selections },
    };
  });
  const fragments: FragmentDefinitionNode[] = [...used].map((name) => info.fragments[name]!).filter(Boolean);
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as never,
        name: { kind: Kind.NAME, value: 'OrderAsOfEvent' },
        variableDefinitions: [
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: id,
            type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
          },
        ],
        selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
      },
      ...fragments,
    ],
  } as DocumentNode;
}

const snapshotQuery = parse(
  'query OrderSnapshot($id: ID!) { order(id: $id) { id customerId status version failureReason updatedAt } }',
);

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
export function startLiveSubscriptions({
  server,
  apiSchemaSdl,
  hub,
  query,
  authenticate,
  logger,
  maxQueue = 100,
  maxSubscriptionsPerConnection = 50,
  maxConnectionsPerCustomer = 20,
  limits,
  connectionInitTimeoutMs = 3000,
  admitAddress,
}: LiveOptions) {
  const schema: GraphQLSchema = buildSchema(apiSchemaSdl);
  const checkDocument = limitChecker(limits, { standard: true });
  let active = 0;

  /**
   * Starts listening, then reads the snapshot as the subscriber: an unknown or foreign order fails
   * here, before any event, as an error of this subscription alone.
   */
  async function statusEvents(
    orderId: string,
    caller: Caller,
    close: (code: number, reason: string) => void,
  ): Promise<AsyncGenerator<StatusEvent>> {
    const queue: StatusEvent[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    // Listen before reading the snapshot: nothing that happens in between is lost.
    const unlisten = hub.listen(orderId, (event) => {
      if (queue.length >= maxQueue) overflow = true;
      else queue.push(event);
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
      }>(await query(snapshotQuery, { id: orderId }, caller), 'order');
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
          if (next.version !== last.version + 1)
            logger.warn({ orderId, after: last.version, got: next.version }, 'order event gap');
          // Authorized again for every event: the token may have expired or the key been revoked;
          // the order is checked by owner.
          const { identity, authorization } = await authenticate(caller.credentials).catch((err: unknown) => {
            throw coded(err instanceof DomainError ? err.message : 'The token is invalid', ErrorCode.Unauthenticated);
          });
          caller.identity = identity;
          caller.authorization = authorization;
          if (!identity.isAdmin && identity.customerId !== next.customerId)
            throw coded('This order belongs to another customer', ErrorCode.Forbidden);
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
    subscribe: (
      _: unknown,
      { orderId }: { orderId: string },
      ctx: { caller: Caller; close: (code: number, reason: string) => void },
    ) => statusEvents(orderId, ctx.caller, ctx.close),
    resolve: (event: StatusEvent) => event,
  };
  schema.getSubscriptionType()!.getFields().orderStatusChanged!.subscribe = resolvers.subscribe as never;
  schema.getSubscriptionType()!.getFields().orderStatusChanged!.resolve = resolvers.resolve as never;
  const eventType = schema.getType('OrderStatusEvent') as GraphQLObjectType;
  // Every alias of `order` in an operation is read in one query (see `orderQuery`), and subscribers
  // of one order usually ask for the same fields as the same customer: each event is resolved once
  // per (event, caller, operation) and shared, for a few seconds.
  const queries = new WeakMap<OperationDefinitionNode, { document: DocumentNode; text: string }>();
  const shared = new Map<string, Promise<Awaited<ReturnType<GraphQuery>>>>();
  eventType.getFields().order!.resolve = (event: StatusEvent, _args, ctx: { caller: Caller }, info) => {
    let built = queries.get(info.operation);
    if (!built) {
      const document = orderQuery(info);
      built = { document, text: print(document) };
      queries.set(info.operation, built);
    }
    const who = ctx.caller.identity.isAdmin
      ? `admin:${ctx.caller.identity.customerId}`
      : ctx.caller.identity.customerId;
    const key = `${event.orderId}:${event.version}:${who}:${built.text}`;
    let result = shared.get(key);
    if (!result) {
      result = query(built.document, { id: event.orderId }, ctx.caller);
      shared.set(key, result);
      setTimeout(() => shared.delete(key), 5000).unref();
    }
    return result.then((r) => markResolved(dataOf(r, info.path.key as string)));
  };

  // No frame may be larger than an HTTP body: a client cannot make the gateway buffer more, even
  // before its token is read.
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: limits.maxBodyBytes });
  // A frame ws refuses (1009 too big, or another protocol error) is the client's fault: ws sends its
  // close frame and would then read on, discarding whatever the client still sends, and graphql-ws
  // would print the error to the console as the server's own. Instead: read nothing more from that
  // client, hang up, drop the socket shortly after, and log it as what it is.
  wss.on('connection', (socket, request) => {
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string, ...args: unknown[]) => {
      if (event !== 'error' || !isProtocolError(args[0])) return emit(event, ...args);
      // ws resumes the socket on the next tick to drain it; this runs after that.
      process.nextTick(() => request.socket.pause());
      request.socket.end();
      setTimeout(() => request.socket.destroy(), 1000).unref();
      logger.debug({ err: args[0], address: request.socket.remoteAddress }, 'socket closed for a bad frame');
      return true;
    }) as typeof socket.emit;
  });
  const callers = new WeakMap<object, Caller>();
  const connections = new Map<string, number>();
  const release = (customerId: string) => {
    const left = (connections.get(customerId) ?? 1) - 1;
    if (left <= 0) connections.delete(customerId);
    else connections.set(customerId, left);
  };
  const disposable = useServer(
    {
      schema,
      connectionInitWaitTimeout: connectionInitTimeoutMs,
      subscribe: (args) => subscribe({ ...args, fieldResolver }),
      async onConnect(ctx) {
        if (admitAddress && (await admitAddress(ctx.extra.request)) > 0) {
          ctx.extra.socket.close(LiveCloseCode.TooManyConnections, 'Too many requests from this address');
          return false;
        }
        const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
        const credentials: Credentials = {
          authorization: text(ctx.connectionParams?.authorization),
          apiKey: text(ctx.connectionParams?.apiKey),
        };
        let identity: Identity;
        let authorization: string;
        try {
          ({ identity, authorization } = await authenticate(credentials));
        } catch (err) {
          if (!(err instanceof DomainError)) logger.error({ err }, 'subscription authentication failed');
          // 4403 as graphql-ws would, but with the reason (expired, wrong audience, revoked key…).
          ctx.extra.socket.close(4403, err instanceof DomainError ? err.message : 'Forbidden');
          return false;
        }
        const held = connections.get(identity.customerId) ?? 0;
        if (!identity.isAdmin && held >= maxConnectionsPerCustomer) {
          ctx.extra.socket.close(
            LiveCloseCode.TooManyConnections,
            `At most ${maxConnectionsPerCustomer} connections per customer`,
          );
          return false;
        }
        connections.set(identity.customerId, held + 1);
        callers.set(ctx.extra.socket, { credentials, identity, authorization, correlationId: randomUUID() });
        return true;
      },
      onClose(ctx) {
        const caller = callers.get(ctx.extra.socket);
        if (caller) release(caller.identity.customerId);
        callers.delete(ctx.extra.socket);
      },
      onSubscribe(ctx, _id, payload) {
        // graphql-ws has already registered the new subscription when it asks.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptionsPerConnection) {
          return [
            coded(
              `A connection may hold at most ${maxSubscriptionsPerConnection} subscriptions`,
              ErrorCode.RateLimited,
            ),
          ];
        }
        // The same rules as HTTP, then: only subscriptions (queries and mutations go over HTTP,
        // where their own limits apply).
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: 10_000 });
        } catch (err) {
          return [
            coded(err instanceof GraphQLError ? err.message : 'The operation cannot be parsed', ErrorCode.BadUserInput),
          ];
        }
        const variableValues = payload.variables ?? {};
        const invalid = checkDocument(schema, document, variableValues);
        if (invalid) return [invalid];
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== 'subscription') {
          return [
            coded(
              'Only subscriptions are served over the socket; send queries and mutations over HTTP',
              ErrorCode.BadUserInput,
            ),
          ];
        }
        return { schema, document, variableValues, operationName: payload.operationName };
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
    /** Subscriptions open on this replica whose snapshot was read (from then on none misses an event). */
    count: () => active,
    async close() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
