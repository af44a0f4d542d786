import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DomainError, ErrorCode } from './errors.ts';

/**
 * One process's Prometheus metrics, served at `/metrics` (same access as `/stats`: the machine
 * itself or an admin token). Every series carries `service`; in the embedded mode each service of
 * the one process has a registry of its own, served on its own port. Names follow Prometheus's
 * rules: `sagaway_` prefix, base units in the name, counters ending in `_total`, and only labels of
 * bounded cardinality (never an order or customer id).
 */
export interface Metrics {
  registry: Registry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    collect?: (gauge: Gauge<L>) => Promise<void> | void,
  ): Gauge<L>;
  histogram<L extends string>(name: string, help: string, labelNames?: readonly L[], buckets?: number[]): Histogram<L>;
  /**
   * A counter whose values another part keeps (its own running totals, as `/stats` shows them),
   * read at each scrape.
   */
  counterOf<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => [labels: Partial<Record<L, string>>, value: number][],
  ): Counter<L>;
  /** The text Prometheus scrapes. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** How long a gauge read at scrape time (a query, a broker request) may take before it is left as it was. */
const COLLECT_TIMEOUT_MS = 2000;

/** Latency buckets, in seconds: 1 ms to 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(service: string, { processMetrics = true } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // CPU, memory, event-loop lag, GC, handles: what any Node process is judged by.
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'sagaway_' });
  return {
    registry,
    counter: (name, help, labelNames = []) => new Counter({ name, help, labelNames, registers: [registry] }),
    gauge: (name, help, labelNames = [], collect) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        ...(collect
          ? {
              async collect() {
                // A dependency that is down (the database, the broker) must not take every other
                // metric of the scrape with it, nor hold the scrape: the gauge keeps its last value.
                let timer: NodeJS.Timeout | undefined;
                await Promise.race([
                  Promise.resolve().then(() => collect(this)),
                  new Promise<void>((resolve) => {
                    timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
                  }),
                ])
                  .catch(() => {})
                  .finally(() => clearTimeout(timer));
              },
            }
          : {}),
      }),
    histogram: (name, help, labelNames = [], buckets = LATENCY_BUCKETS) =>
      new Histogram({ name, help, labelNames, buckets, registers: [registry] }),
    counterOf: (name, help, labelNames, read) =>
      new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const [labels, value] of read()) this.inc(labels, value);
        },
      }),
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * `sagaway_cache_requests_total{cache,result}`: reads of each cache or read model by where the answer
 * came from, from the running totals `read` gives (the gateway's response cache, a service's views).
 */
export function cacheRequestsMetric(metrics: Metrics, read: () => [cache: string, result: string, count: number][]) {
  metrics.counterOf(
    'sagaway_cache_requests_total',
    'Reads of a read model or cache, by where the answer came from',
    ['cache', 'result'],
    () => read().map(([cache, result, count]) => [{ cache, result }, count]),
  );
}

/**
 * A label of values a client chooses (operation names): the first `max` distinct ones are kept,
 * later ones count as `other`, so no client can grow the series without bound.
 */
export function boundedLabel(max = 100): (value: string | undefined | null) => string {
  const seen = new Set<string>();
  return (value) => {
    const v = value && /^[\w-]{1,64}$/.test(value) ? value : value ? 'invalid' : 'anonymous';
    if (seen.has(v)) return v;
    if (seen.size >= max) return 'other';
    seen.add(v);
    return v;
  };
}

export type GraphQLOutcome = 'ok' | 'client_error' | 'error';

/**
 * GraphQL requests over HTTP by operation name, type and outcome, and their latency: `ok`,
 * `client_error` (refused, or every error the caller's), `error` (anything else, a subgraph's
 * failure included). The plugin counts what Apollo answers; `observe` what was answered without
 * it (the gateway's response cache). The gateway's own reads for its subscribers are not requests.
 */
export function graphqlRequestMetrics<C extends BaseContext>(metrics: Metrics) {
  const labelNames = ['operation', 'type', 'outcome'] as const;
  const requests = metrics.counter('sagaway_graphql_requests_total', 'GraphQL requests answered over HTTP', labelNames);
  const duration = metrics.histogram(
    'sagaway_graphql_request_duration_seconds',
    'Time from a GraphQL request to its answer',
    labelNames,
  );
  const operationLabel = boundedLabel();
  // The caller's mistakes and refusals (Apollo's request codes and the domain's); SERVICE_UNAVAILABLE
  // and anything uncoded are the system's.
  const CLIENT_CODES = new Set<string>([
    ErrorCode.BadUserInput,
    ErrorCode.Unauthenticated,
    ErrorCode.Forbidden,
    ErrorCode.NotFound,
    ErrorCode.RateLimited,
    'GRAPHQL_PARSE_FAILED',
    'GRAPHQL_VALIDATION_FAILED',
    'BAD_REQUEST',
    'OPERATION_RESOLUTION_FAILURE',
    'PERSISTED_QUERY_NOT_FOUND',
  ]);
  const observe = (
    { operation, type, outcome }: { operation: string | null | undefined; type: string; outcome: GraphQLOutcome },
    seconds: number,
  ) => {
    const labels = { operation: operationLabel(operation), type, outcome };
    requests.inc(labels);
    duration.observe(labels, seconds);
  };
  const plugin: ApolloServerPlugin<C> = {
    async requestDidStart({ request }) {
      if (!request.http) return;
      const started = performance.now();
      return {
        async willSendResponse({ operation, errors, operationName }) {
          // A domain error is coded on its way out (formatError); here it may still be the thrown one.
          const codes = (errors ?? []).map((e) =>
            String(
              e.extensions?.code ??
                (e.originalError instanceof DomainError ? e.originalError.code : undefined) ??
                ErrorCode.Internal,
            ),
          );
          const outcome: GraphQLOutcome =
            codes.length === 0 ? 'ok' : codes.every((c) => CLIENT_CODES.has(c)) ? 'client_error' : 'error';
          observe(
            { operation: operationName ?? request.operationName, type: operation?.operation ?? 'unknown', outcome },
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
  return { plugin, observe };
}
