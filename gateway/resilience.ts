import type { ApolloServerPlugin } from '@apollo/server';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import type { Logger } from '../kernel/index.ts';
import {
  ErrorCode,
  GATEWAY_SIGNATURE_HEADER,
  hasErrorCode,
  refusalStatus,
  retryAfterSeconds,
  signGatewayRequest,
} from '../kernel/index.ts';

/** A subgraph that answered nothing usable: refused, reset, timed out, or a proxy's 502/503/504. */
class SubgraphUnreachable extends Error {
  override name = 'SubgraphUnreachable';
  constructor(
    message: string,
    /** Worth another try at once: the connection failed, it did not hang. */
    readonly retriable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CLOSED',
]);
const refused = (err: unknown) => hasErrorCode(err, (code) => code === 'ECONNREFUSED');
/** The pool rejects only when no response came: the network or a reset. */
const unreachable = (err: unknown) => err instanceof TypeError || hasErrorCode(err, (code) => networkCodes.has(code));

/**
 * Whether a subgraph request's body (as the gateway serialises it, `{"query":"…",…}`) holds a
 * mutation; read from the text rather than parsed, and never repeated when in doubt.
 */
const isMutation = (init: RequestInit | undefined) => {
  const body = String(init?.body ?? '');
  const query = /^\{"query":"((?:\\.|[^"\\])*)"/.exec(body);
  return query ? /^(\\n|\s)*mutation\b/.test(query[1]!) : true;
};

/** Headers as a plain object, the form undici takes. */
const headerObject = (init: RequestInit | undefined): Record<string, string> => {
  const headers = init?.headers;
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers);
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SubgraphFetcherOptions {
  name: string;
  urls: string[];
  timeoutMs: number;
  breaker: { failures: number; halfOpenMs: number };
  /** Extra attempts of a read after a network failure (never of a mutation). */
  readRetries?: number;
  /** Signs every request as the gateway's (see kernel/gateway-identity.ts). */
  gatewaySecret: string;
  logger: Logger;
  /** Told of every call (retries included in its time): answered, refused as unavailable, or failed otherwise. */
  observe?: (outcome: 'ok' | 'unavailable' | 'error', seconds: number) => void;
}

/**
 * How the gateway calls one subgraph:
 * - requests are spread over its replicas in turn; a replica that refuses the connection never saw
 *   the request, so the next is tried, even for a mutation;
 * - a read whose connection failed is tried again after a jittered backoff; a mutation never is
 *   (the client may, with its idempotency key), nor a call that hung until `timeoutMs`;
 * - a circuit breaker per subgraph opens after `breaker.failures` unreachable calls in a row and
 *   then fails fast until a probe after `breaker.halfOpenMs` gets through;
 * - whatever is unreachable answers SERVICE_UNAVAILABLE with `retryAfterMs`, not a masked 500.
 * A subgraph that hangs must not hang the client: after `timeoutMs` the call fails.
 */
export function subgraphFetcher({
  name,
  urls,
  timeoutMs,
  breaker,
  readRetries = 2,
  logger,
  gatewaySecret,
  observe = () => {},
}: SubgraphFetcherOptions): { fetch: typeof fetch; policy: CircuitBreakerPolicy; close(): Promise<void> } {
  const policy = circuitBreaker(
    handleWhen((err) => err instanceof SubgraphUnreachable),
    { halfOpenAfter: breaker.halfOpenMs, breaker: new ConsecutiveBreaker(breaker.failures) },
  );
  policy.onBreak(() => logger.warn({ subgraph: name }, 'subgraph unreachable: circuit open'));
  policy.onReset(() => logger.info({ subgraph: name }, 'subgraph reachable again: circuit closed'));
  let next = 0;
  // One keep-alive pool per replica: undici's request API costs a fraction of the CPU of fetch.
  const pools = new Map<string, { pool: Pool; path: string }>();
  const poolOf = (url: string) => {
    let entry = pools.get(url);
    if (!entry) {
      const parsed = new URL(url);
      entry = { pool: new Pool(parsed.origin, { connections: 64 }), path: `${parsed.pathname}${parsed.search}` };
      pools.set(url, entry);
    }
    return entry;
  };

  /** One try over the replicas, failing over on refused connections. */
  const once = async (init: RequestInit | undefined): Promise<Response> => {
    const start = next++ % urls.length;
    let lastError: unknown;
    for (let i = 0; i < urls.length; i++) {
      try {
        // Signed per attempt: a signature is accepted once.
        const headers = headerObject(init);
        const body = String(init?.body ?? '');
        headers[GATEWAY_SIGNATURE_HEADER] = signGatewayRequest(gatewaySecret, body, headers.authorization ?? '');
        const { pool, path } = poolOf(urls[(start + i) % urls.length]!);
        const signal = AbortSignal.timeout(timeoutMs);
        const answer = await pool.request({ path, method: 'POST', headers, body, signal });
        const text = await answer.body.text();
        if (answer.statusCode === 502 || answer.statusCode === 503 || answer.statusCode === 504)
          throw new SubgraphUnreachable(`${name} answered HTTP ${answer.statusCode}`, false);
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(answer.headers)) {
          if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
        }
        return new Response(text, { status: answer.statusCode, headers: responseHeaders });
      } catch (err) {
        lastError = err;
        if (!refused(err)) break;
      }
    }
    if (lastError instanceof SubgraphUnreachable) throw lastError;
    if ((lastError as Error)?.name === 'TimeoutError')
      throw new SubgraphUnreachable(`${name} did not answer within ${timeoutMs} ms`, false, { cause: lastError });
    if (unreachable(lastError)) throw new SubgraphUnreachable(`${name} is unreachable`, true, { cause: lastError });
    throw lastError;
  };

  const call = async (_input: unknown, init?: RequestInit): Promise<Response> => {
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    try {
      const response = await attempt(init);
      observe('ok', took());
      return response;
    } catch (err) {
      observe(
        err instanceof GraphQLError && err.extensions.code === ErrorCode.ServiceUnavailable ? 'unavailable' : 'error',
        took(),
      );
      throw err;
    }
  };
  const attempt = async (init?: RequestInit): Promise<Response> => {
    const attempts = isMutation(init) ? 1 : 1 + readRetries;
    for (let attempt = 1; ; attempt++) {
      try {
        return await policy.execute(() => once(init));
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw unavailable(name, breaker.halfOpenMs);
        if (!(err instanceof SubgraphUnreachable)) throw err;
        if (!err.retriable || attempt >= attempts) throw unavailable(name, 1000);
        await sleep(50 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  };
  return {
    fetch: call as typeof fetch,
    policy,
    async close() {
      await Promise.all([...pools.values()].map(({ pool }) => pool.close()));
    },
  };
}

const unavailable = (name: string, retryAfterMs: number) =>
  new GraphQLError(`The ${name} service is unavailable; retry shortly`, {
    extensions: { code: ErrorCode.ServiceUnavailable, retryAfterMs },
  });

/**
 * A response that failed as a whole because the system refused for now — SERVICE_UNAVAILABLE
 * (busy, or a subgraph down) or RATE_LIMITED — answers HTTP 503 or 429 with `Retry-After`, so
 * HTTP clients and proxies see it too. A response with partial data stays 200.
 */
export function retryableStatusPlugin(): ApolloServerPlugin {
  const retriable = new Set<string>([ErrorCode.ServiceUnavailable, ErrorCode.RateLimited]);
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (!errors?.length || (data && Object.values(data).some((v) => v !== null))) return;
          const refusal = errors.find((e) => retriable.has(String(e.extensions?.code)));
          if (!refusal) return;
          response.http.status = refusalStatus[String(refusal.extensions!.code)]!;
          response.http.headers.set('retry-after', retryAfterSeconds(Number(refusal.extensions?.retryAfterMs) || 1000));
        },
      };
    },
  };
}
