import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';
import { buildSchema, GraphQLError } from 'graphql';
import type { Cache } from '../cache/index.ts';
import { createReadModel } from '../cache/index.ts';
import type { Config, HealthCheck, Logger, Metrics, ServiceName, TokenVerifier } from '../kernel/index.ts';
import {
  CORRELATION_HEADER,
  cacheRequestsMetric,
  clientAddress,
  correlationIdOf,
  ErrorCode,
  errorFormatter,
  type GraphQLAnswer,
  graphqlHandler,
  graphqlRequestMetrics,
  logUnexpectedErrors,
  mayChangeOrders,
  queryLimitsPlugin,
  type RequestHandler,
  rethrowAsGraphQL,
} from '../kernel/index.ts';
import type { Transport } from '../messaging/wire.ts';
import { API_KEY_HEADER, type Caller, createAuthenticator, orderServiceKeyLookup } from './api-keys.ts';
import { withCors } from './cors.ts';
import { startOrderEventHub } from './events.ts';
import { type GraphQuery, startLiveSubscriptions } from './live/index.ts';
import { createRateLimiter, customerRateLimitPlugin, tooMany } from './rate-limits.ts';
import { retryableStatusPlugin, subgraphFetcher } from './resilience.ts';
import { createResponseCache, type ResponseCache } from './response-cache.ts';
import { apiSchemaPath, supergraphPath } from './schema.ts';

/**
 * Apollo's context of a gateway request: who it runs as; `counted` once its rate limits were
 * counted; `outcome.clean` once it was answered with data and no error (an answer worth keeping).
 * Apollo runs each request on a shallow copy of the context, so the outcome is an object of its own.
 */
export type GatewayContext = BaseContext & Caller & { counted?: boolean; outcome?: { clean: boolean } };

/** Marks an answer with data and no error on its context, for the response cache to keep. */
function cleanAnswerPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind === 'single' && contextValue.outcome)
            contextValue.outcome.clean = response.body.singleResult.data != null && !response.body.singleResult.errors;
        },
      };
    },
  };
}

/** Forwards the caller's token and correlation id: each subgraph authorizes on its own. */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (!('authorization' in context)) return;
    request.http?.headers.set('authorization', context.authorization);
    request.http?.headers.set(CORRELATION_HEADER, context.correlationId);
  }
}

/** An API key's scopes, checked before anything is planned: a READ key changes nothing. */
function apiKeyScopePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (operation?.operation === 'mutation' && !mayChangeOrders(contextValue.identity)) {
            // Refused before execution: the whole request is, with its status.
            throw new GraphQLError('This API key may only read (it lacks the PLACE_ORDERS scope)', {
              extensions: { code: ErrorCode.Forbidden, http: { status: 403 } },
            });
          }
        },
      };
    },
  };
}

/**
 * Builds the gateway with @apollo/gateway's usage report to Apollo on or off. The library reads its
 * one switch, APOLLO_TELEMETRY_DISABLED, from the environment as it is constructed; an operator's
 * own setting of it is left alone.
 */
function withApolloTelemetry<T>(enabled: boolean, construct: () => T): T {
  const given = process.env.APOLLO_TELEMETRY_DISABLED;
  if (enabled || given !== undefined) return construct();
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  try {
    return construct();
  } finally {
    delete process.env.APOLLO_TELEMETRY_DISABLED;
  }
}

const badRequest = (message: string, code: ApolloServerErrorCode) =>
  new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

/**
 * Requests HTTP cannot run, refused as the client's mistake (400 with Apollo's code) before the
 * gateway plans them: no operation to pick, or a subscription (served over the socket).
 */
function httpOperationPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (!operation) {
            throw badRequest(
              request.operationName
                ? `No operation named "${request.operationName}"`
                : 'Must provide operation name if query contains multiple operations',
              ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
            );
          }
          if (operation.operation === 'subscription') {
            throw badRequest(
              'Subscriptions are served over WebSocket (graphql-transport-ws) at this same path, not over HTTP',
              ApolloServerErrorCode.BAD_REQUEST,
            );
          }
        },
      };
    },
  };
}

/**
 * The federated gateway over the committed supergraph. Requests without a valid token are refused
 * here, before any subgraph is asked. Never listens itself.
 */
export interface Gateway {
  graphql: RequestHandler;
  /** Memory and open subscriptions, served at `/stats`. */
  stats(): Record<string, unknown>;
  /** Serves `orderStatusChanged` over graphql-ws on the server that serves `graphql`. */
  serveSubscriptions(server: Server): void;
  /** What its readiness depends on beyond Redis: the order events reaching it. */
  checks: HealthCheck[];
  stop(): Promise<void>;
}

export async function createGateway({
  config,
  verifier,
  logger,
  transport,
  cache,
  metrics,
}: {
  config: Config;
  verifier: TokenVerifier;
  logger: Logger;
  transport: Transport;
  cache: Cache;
  metrics: Metrics;
}): Promise<Gateway> {
  const requestMetrics = graphqlRequestMetrics<GatewayContext>(metrics);
  const subgraphFetches = metrics.histogram(
    'sagaway_subgraph_fetch_duration_seconds',
    'Calls from the gateway to a subgraph, retries included: ok (answered), unavailable (unreachable, circuit open), error',
    ['subgraph', 'outcome'],
  );
  // One client per subgraph (its replicas, breaker and signing), for the graph and the key lookups alike.
  const fetchers = new Map<
    ServiceName,
    { urls: string[]; fetch: typeof fetch; policy: CircuitBreakerPolicy; close(): Promise<void> }
  >();
  const fetcherOf = (name: ServiceName) => {
    let fetcher = fetchers.get(name);
    if (!fetcher) {
      const urls = config.subgraphUrls[name].split(',').map((u) => u.trim());
      fetcher = {
        urls,
        ...subgraphFetcher({
          name,
          urls,
          timeoutMs: config.subgraphTimeoutMs,
          breaker: config.breaker,
          gatewaySecret: config.gatewaySecret,
          logger: logger.child({ service: 'gateway' }),
          observe: (outcome, seconds) => subgraphFetches.observe({ subgraph: name, outcome }, seconds),
        }),
      };
      fetchers.set(name, fetcher);
    }
    return fetcher;
  };
  const gateway = withApolloTelemetry(
    config.apolloTelemetry,
    () =>
      new ApolloGateway({
        supergraphSdl: readFileSync(supergraphPath, 'utf8'),
        buildService: ({ name }) => {
          const { urls, fetch } = fetcherOf(name as ServiceName);
          return new ForwardingDataSource({ url: urls[0]!, fetcher: fetch });
        },
        logger: logger.child({ service: 'gateway' }),
      }),
  );
  metrics.gauge(
    'sagaway_subgraph_circuit_open',
    "1 while the gateway's circuit to a subgraph is open (failing fast), else 0",
    ['subgraph'],
    (g) => {
      for (const [subgraph, fetcher] of fetchers)
        g.set({ subgraph }, fetcher.policy.state === CircuitState.Open ? 1 : 0);
    },
  );
  const keys = fetcherOf('order');
  const authenticator = createAuthenticator({
    verifier,
    gatewaySecret: config.gatewaySecret,
    cacheMs: config.apiKeyCacheMs,
    lookup: orderServiceKeyLookup({ fetch: keys.fetch, url: keys.urls[0]!, gatewaySecret: config.gatewaySecret }),
  });
  const limiter = createRateLimiter({
    limits: config.rateLimits,
    redisUrl: config.redisUrl,
    keyPrefix: config.cacheKeyPrefix,
    logger: logger.child({ service: 'gateway' }),
  });
  const apollo = new ApolloServer<GatewayContext>({
    // The process's own shutdown stops this server in its turn (kernel/lifecycle.ts); Apollo's
    // handler would stop it at once and then signal the process again, cutting that shutdown short.
    stopOnTerminationSignals: false,
    gateway,
    formatError: errorFormatter({ hideInternals: config.mode === 'production' }),
    includeStacktraceInErrorResponses: false,
    introspection: config.limits.introspection,
    // No "Did you mean …?" in production: the schema is not told to whoever guesses at it.
    hideSchemaDetailsFromClientErrors: config.mode === 'production',
    // The playground is served from the gateway's own assets (gateway/pages.ts), not a CDN.
    plugins: [
      httpOperationPlugin(),
      queryLimitsPlugin(config.limits),
      apiKeyScopePlugin(),
      customerRateLimitPlugin(limiter),
      retryableStatusPlugin(),
      cleanAnswerPlugin(),
      ApolloServerPluginLandingPageDisabled(),
      logUnexpectedErrors(logger.child({ service: 'gateway' })),
      requestMetrics.plugin,
    ],
  });
  await apollo.start();
  const context = async (req: IncomingMessage): Promise<GatewayContext> => {
    const apiKey = req.headers[API_KEY_HEADER];
    const principal = await authenticator
      .authenticate({
        authorization: req.headers.authorization,
        apiKey: typeof apiKey === 'string' ? apiKey : undefined,
      })
      .catch(rethrowAsGraphQL);
    return { ...principal, correlationId: correlationIdOf(req) };
  };
  const hub = await startOrderEventHub({
    transport,
    logger: logger.child({ service: 'gateway' }),
    onApiKeyRevoked: authenticator.forget,
  });
  const apiSchemaSdl = readFileSync(apiSchemaPath, 'utf8');
  const apiSchema = buildSchema(apiSchemaSdl);
  const responses = config.responseCache.enabled
    ? createResponseCache({
        schema: apiSchema,
        shared: cache,
        ttlMs: config.cacheTtlSeconds * 1000,
        volatileTtlMs: config.responseCache.volatileTtlMs,
        localBytes: config.responseCache.localBytes,
        // A deployment that changes the schema or the limits shares no answer with the one before.
        version: createHash('sha256').update(apiSchemaSdl).update(JSON.stringify(config.limits)).digest('base64url'),
      })
    : undefined;
  // Read-your-events: before a subscriber sees version v, cached views older than v are stale, and
  // then (so no answer is computed again from a stale view) every cached answer holding the order.
  const orderViews = createReadModel(cache, 'order', config.cacheTtlSeconds);
  hub.beforeDelivery(async (event) => {
    await orderViews.invalidate(event.orderId, event.version);
    if (responses && !(await responses.orderChanged(event.orderId, event.customerId)))
      logger.warn({ orderId: event.orderId }, 'response cache: an order change could not be recorded');
  });
  const query: GraphQuery = async (document, variables, caller) => {
    const response = await apollo.executeOperation({ query: document, variables }, { contextValue: caller });
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult as Awaited<ReturnType<GraphQuery>>;
  };
  const serving = responses && cachedServing(responses, { context, limiter, logger, observe: requestMetrics.observe });
  let live: ReturnType<typeof startLiveSubscriptions> | undefined;
  metrics.gauge('sagaway_subscriptions_open', 'Subscriptions open on this replica', [], (g) =>
    g.set(live?.count() ?? 0),
  );
  metrics.counterOf('sagaway_subscription_events_delivered_total', 'Order events sent to subscribers', [], () => [
    [{}, live?.delivered() ?? 0],
  ]);
  if (responses)
    cacheRequestsMetric(metrics, () => {
      const stats = responses.stats();
      const coalesced = serving?.coalesced() ?? 0;
      return [
        ['gateway_response', 'hit_memory', stats.hitsLocal],
        ['gateway_response', 'hit_redis', stats.hitsShared],
        ['gateway_response', 'coalesced', coalesced],
        ['gateway_response', 'miss', stats.misses - coalesced],
      ];
    });
  return {
    graphql: withCors(
      graphqlHandler(apollo, context, {
        maxBodyBytes: config.limits.maxBodyBytes,
        // Every request counts against its client address before anything is done with it.
        admit: async (req) => {
          const wait = await limiter.address(clientAddress(req, config.trustedProxies));
          return wait > 0 ? tooMany(wait, 'requests from this address') : undefined;
        },
        serve: serving?.serve,
      }),
      config.corsOrigins,
    ),
    stats: () => ({
      memory: process.memoryUsage(),
      subscriptions: live?.count() ?? 0,
      livePayloadReads: live?.payloadReads(),
      orderCache: orderViews.stats(),
      responseCache: responses && { ...responses.stats(), coalesced: serving?.coalesced() ?? 0 },
    }),
    checks: [
      {
        name: 'order-events',
        critical: true,
        check: () => {
          if (!hub.joined()) throw new Error('not a member of its order-events consumer group (the broker is away?)');
        },
      },
    ],
    serveSubscriptions(server) {
      live = startLiveSubscriptions({
        server,
        apiSchema,
        hub,
        query,
        shared: cache,
        authenticate: authenticator.authenticate,
        logger: logger.child({ service: 'gateway' }),
        ...config.live,
        limits: config.limits,
        admitAddress: (req) => limiter.address(clientAddress(req, config.trustedProxies)),
        corsOrigins: config.corsOrigins,
      });
    },
    async stop() {
      await live?.close();
      await hub.close();
      await apollo.stop();
      await limiter.close();
      await Promise.all([...fetchers.values()].map((f) => f.close()));
    },
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Queries answered from the response cache when it holds them (no planning, no subgraph), and
 * kept when computed; mutations make what they changed stale before they are answered. Anything
 * else, or a caller who cannot be authenticated or is over a limit, takes the usual way, which
 * answers with the error.
 */
function cachedServing(
  responses: ResponseCache,
  {
    context,
    limiter,
    logger,
    observe,
  }: {
    context: (req: IncomingMessage) => Promise<GatewayContext>;
    limiter: ReturnType<typeof createRateLimiter>;
    logger: Logger;
    /** Counts a request answered here, without Apollo (which counts the ones it answers). */
    observe: ReturnType<typeof graphqlRequestMetrics>['observe'];
  },
) {
  const flights = new Map<string, Promise<{ answer: GraphQLAnswer; keep: boolean }>>();
  let coalesced = 0;
  const serve = async (
    req: IncomingMessage,
    body: unknown,
    run: (context: GatewayContext) => Promise<GraphQLAnswer>,
  ): Promise<GraphQLAnswer | undefined> => {
    if (req.method !== 'POST' || !body || typeof body !== 'object') return undefined;
    const started = performance.now();
    const { query, operationName, variables } = body as Record<string, unknown>;
    if (typeof query !== 'string') return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    const plan = responses.plan(query, operationName ?? undefined);
    if (!plan) return undefined;
    const caller = await context(req).catch(() => undefined);
    if (!caller) return undefined;
    const given = (variables ?? undefined) as Record<string, unknown> | undefined;
    if (plan.operation === 'mutation') {
      const answer = await run(caller);
      if (answer.status === 200 && !(await responses.changed(plan, caller.identity, given)))
        logger.warn('response cache: a change could not be recorded; serving no hit for a while');
      return answer;
    }
    const { identity } = caller;
    const [wait, lookup] = await Promise.all([
      identity.isAdmin ? 0 : limiter.customer(identity.customerId, false),
      responses.lookup(plan, identity, given),
    ]);
    if (wait > 0) return undefined;
    const served = () =>
      observe({ operation: plan.name, type: 'query', outcome: 'ok' }, (performance.now() - started) / 1000);
    if (lookup && 'hit' in lookup) {
      served();
      return {
        status: 200,
        headers: [
          ['content-type', JSON_TYPE],
          ['x-cache', `${lookup.tier}-hit`],
        ],
        body: lookup.hit,
      };
    }
    if (!lookup) {
      const answer = await run({ ...caller, counted: true });
      return { ...answer, headers: [...answer.headers, ['x-cache', 'bypass']] };
    }
    // Concurrent misses of one entry under the same tokens (a page everyone reads, just made stale)
    // share one computation: a change in between gives later ones other tokens, so their own.
    const shared = flights.get(lookup.flight);
    if (shared) {
      const { answer, keep } = await shared;
      if (keep) {
        coalesced++;
        served();
        return { ...answer, headers: [...answer.headers, ['x-cache', 'shared-miss']] };
      }
    }
    const outcome = { clean: false };
    const computing = run({ ...caller, counted: true, outcome }).then((answer) => ({
      answer,
      keep: answer.status === 200 && outcome.clean,
    }));
    if (!shared) {
      flights.set(lookup.flight, computing);
      const landed = () => flights.delete(lookup.flight);
      computing.then(landed, landed);
    }
    const { answer, keep } = await computing;
    if (keep) lookup.store(answer.body).catch((err: unknown) => logger.debug({ err }, 'response cache: not stored'));
    return { ...answer, headers: [...answer.headers, ['x-cache', 'miss']] };
  };
  /** `coalesced`: misses answered by another request's computation. */
  return { serve, coalesced: () => coalesced };
}
