import { register } from 'node:module';

/**
 * OpenTelemetry tracing for one process, configured by the standard `OTEL_*` variables and off
 * unless they ask for it: `OTEL_TRACES_EXPORTER` (otlp, console, zipkin; unset or `none`: off) or an
 * OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and not
 * `OTEL_SDK_DISABLED=true`. The protocol, sampler, headers, resource attributes and batching are the
 * SDK's own `OTEL_*` settings.
 *
 * Instrumentations must patch modules before they are first imported, so an entry point calls
 * `startTracing` first and imports everything else after it (dynamically). When tracing is off this
 * module loads nothing: the SDK, its exporters and the instrumentations cost a process nothing.
 *
 * Messages are traced by hand (messaging/tracing.ts): the W3C `traceparent` is stored in the
 * envelope when the outbox row is written, so the trace survives the outbox, a relay on another
 * replica, a crash and redelivery, which an instrumentation of the Kafka client cannot see.
 */
let shutdown: (() => Promise<void>) | undefined;

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** Starts tracing for `service` when the environment asks for it; answers whether it did. */
export async function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (shutdown || !tracingWanted(env)) return Boolean(shutdown);
  // ECMAScript modules are patched through import-in-the-middle's loader hook; CommonJS ones by the
  // instrumentations themselves.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK }, http, undici, graphql, ioredis, pino] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-pino'),
  ]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? `sagaway-${service}`,
    instrumentations: [
      new http.HttpInstrumentation({
        // Probes and scrapes are not traffic: no trace per health check or Prometheus scrape.
        ignoreIncomingRequestHook: (req) => /^\/(health|metrics|stats)/.test(req.url ?? ''),
      }),
      new undici.UndiciInstrumentation(),
      new graphql.GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
      new ioredis.IORedisInstrumentation(),
      // Log lines carry the trace and span ids of the span they were written in.
      new pino.PinoInstrumentation(),
    ],
  });
  sdk.start();
  shutdown = () => sdk.shutdown();
  return true;
}

/** Whether this process traces (`startTracing` started the SDK). */
export const tracingActive = (): boolean => shutdown !== undefined;

/** Sends the spans not yet exported and stops tracing; nothing when it was off. */
export async function stopTracing(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.().catch(() => {});
}
