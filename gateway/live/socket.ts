import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { type DocumentNode, GraphQLError, getOperationAST, parse, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { LRUCache } from 'lru-cache';
import { WebSocketServer } from 'ws';
import { DomainError, ErrorCode, limitChecker } from '../../kernel/index.ts';
import type { Credentials, Principal } from '../api-keys.ts';
import { socketOriginAllowed } from '../cors.ts';
import { coded, LiveCloseCode, type LiveOptions } from './contract.ts';
import { fieldResolver } from './order-query.ts';
import type { LiveContext } from './schema.ts';
import type { Session } from './stream.ts';

/** Errors ws raises for what a client sent (ws's codes start WS_ERR_): too big, malformed, not UTF-8… */
const isProtocolError = (err: unknown) =>
  typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('WS_ERR_');

type SocketOptions = Pick<
  LiveOptions,
  'server' | 'authenticate' | 'logger' | 'limits' | 'admitAddress' | 'corsOrigins'
> &
  Required<
    Pick<LiveOptions, 'maxSubscriptionsPerConnection' | 'maxConnectionsPerCustomer' | 'connectionInitTimeoutMs'>
  >;

/**
 * graphql-ws on the gateway's own HTTP server and path. The token or key comes in
 * `connection_init`; a bad one closes the socket with 4403 and the reason. Every document passes
 * the same limits as over HTTP, and only subscriptions are served.
 */
export function serveSocket(schema: GraphQLSchema, options: SocketOptions) {
  const { server, authenticate, logger, limits, admitAddress } = options;
  const { maxSubscriptionsPerConnection, maxConnectionsPerCustomer, connectionInitTimeoutMs } = options;
  const checkDocument = limitChecker(limits, { standard: true });
  // No frame may be larger than an HTTP body: a client cannot make the gateway buffer more, even
  // before its token is read.
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: limits.maxBodyBytes,
    // A browser page of another origin is refused at the upgrade (403), before graphql-ws sees it.
    verifyClient: ({ req }: { req: IncomingMessage }, done: (ok: boolean, status?: number, reason?: string) => void) =>
      socketOriginAllowed(req, options.corsOrigins ?? []) ? done(true) : done(false, 403, 'Origin not allowed'),
  });
  wss.on('connection', (socket, request) => refuseBadFrames(socket, request.socket, logger));

  // Subscriptions of one document share its syntax tree, without locations (held per token
  // otherwise, for as long as the subscription lives: most of its memory).
  const documents = new LRUCache<string, DocumentNode | GraphQLError>({ max: 500 });
  const parsed = (query: string) => {
    let document = documents.get(query);
    if (!document) {
      try {
        document = parse(query, { maxTokens: 10_000, noLocation: true });
      } catch (err) {
        document = coded(
          err instanceof GraphQLError ? err.message : 'The operation cannot be parsed',
          ErrorCode.BadUserInput,
        );
      }
      documents.set(query, document);
    }
    return document;
  };
  const sessions = new WeakMap<object, Session>();
  const connections = new Map<string, number>();
  const release = (customerId: string) => {
    const left = (connections.get(customerId) ?? 1) - 1;
    if (left <= 0) connections.delete(customerId);
    else connections.set(customerId, left);
  };
  const disposable = useServer<Record<string, unknown> | undefined, LiveContext>(
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
        let principal: Principal;
        try {
          principal = await authenticate(credentials);
        } catch (err) {
          if (!(err instanceof DomainError)) logger.error({ err }, 'subscription authentication failed');
          // 4403 as graphql-ws would, but with the reason (expired, wrong audience, revoked key…).
          ctx.extra.socket.close(4403, err instanceof DomainError ? err.message : 'Forbidden');
          return false;
        }
        const { customerId, isAdmin } = principal.identity;
        const held = connections.get(customerId) ?? 0;
        if (!isAdmin && held >= maxConnectionsPerCustomer) {
          ctx.extra.socket.close(
            LiveCloseCode.TooManyConnections,
            `At most ${maxConnectionsPerCustomer} connections per customer`,
          );
          return false;
        }
        connections.set(customerId, held + 1);
        sessions.set(ctx.extra.socket, { credentials, caller: { ...principal, correlationId: randomUUID() } });
        return true;
      },
      onClose(ctx) {
        const session = sessions.get(ctx.extra.socket);
        if (session) release(session.caller.identity.customerId);
        sessions.delete(ctx.extra.socket);
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
        const document = parsed(payload.query);
        if (document instanceof GraphQLError) return [document];
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
        session: sessions.get(ctx.extra.socket)!,
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
    async close() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * A frame ws refuses (1009 too big, or another protocol error) is the client's fault: ws sends its
 * close frame and would then read on, discarding whatever the client still sends, and graphql-ws
 * would print the error to the console as the server's own. Instead: read nothing more from that
 * client, hang up, drop the socket shortly after, and log it as what it is.
 */
function refuseBadFrames(
  socket: import('ws').WebSocket,
  connection: import('node:net').Socket,
  logger: LiveOptions['logger'],
) {
  const emit = socket.emit.bind(socket);
  socket.emit = ((event: string, ...args: unknown[]) => {
    if (event !== 'error' || !isProtocolError(args[0])) return emit(event, ...args);
    // ws resumes the socket on the next tick to drain it; this runs after that.
    process.nextTick(() => connection.pause());
    connection.end();
    setTimeout(() => connection.destroy(), 1000).unref();
    logger.debug({ err: args[0], address: connection.remoteAddress }, 'socket closed for a bad frame');
    return true;
  }) as typeof socket.emit;
}
