import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import type { TokenVerifier } from './auth.ts';
import { type DomainError, refusalStatus, retryAfterSeconds, toGraphQLError } from './errors.ts';
import { type Health, isReady } from './health.ts';
import type { Metrics } from './metrics.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The header that carries one request's correlation id through every service and message. */
export const CORRELATION_HEADER = 'x-correlation-id';

export const correlationIdOf = (req: IncomingMessage): string => {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
};

class BodyTooLargeError extends Error {}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers `body` as JSON with `status` (and any `headers` besides the content type). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** A whole HTTP answer to a GraphQL request. */
export interface GraphQLAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** Serves an Apollo server over node:http (Apollo's integration API), with a body size limit. */
export function graphqlHandler<C extends BaseContext>(
  server: ApolloServer<C>,
  context: (req: IncomingMessage) => Promise<C>,
  {
    maxBodyBytes = 1_000_000,
    admit,
    serve,
  }: {
    maxBodyBytes?: number;
    /** Refuses a request before it is parsed (the answer's status follows its code), or lets it through. */
    admit?: (req: IncomingMessage, body: string) => Promise<DomainError | undefined> | DomainError | undefined;
    /**
     * Answers a parsed request itself (from a cache), or runs it as a context it made (`run`);
     * undefined: the request takes the usual way, its context made by `context`.
     */
    serve?: (
      req: IncomingMessage,
      body: unknown,
      run: (context: C) => Promise<GraphQLAnswer>,
    ) => Promise<GraphQLAnswer | undefined>;
  } = {},
): RequestHandler {
  return async (req, res) => {
    let text: string;
    try {
      text = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      sendJson(res, 413, {
        errors: [{ message: `Request body exceeds ${maxBodyBytes} bytes`, extensions: { code: 'BAD_USER_INPUT' } }],
      });
      return;
    }
    const refusal = await admit?.(req, text);
    if (refusal) {
      const { message, extensions } = toGraphQLError(refusal);
      const retryAfterMs = Number(refusal.details?.retryAfterMs);
      if (retryAfterMs > 0) res.setHeader('retry-after', retryAfterSeconds(retryAfterMs));
      sendJson(res, refusalStatus[refusal.code] ?? 400, {
        errors: [{ message, extensions: { ...extensions, http: undefined } }],
      });
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = text;
    if (headers.get('content-type')?.includes('application/json') && text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        sendJson(res, 400, {
          errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }],
        });
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const run = async (made: () => Promise<C>): Promise<GraphQLAnswer> => {
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method?.toUpperCase() ?? 'GET', headers, search: url.search, body },
        context: made,
      });
      let answer = '';
      if (response.body.kind === 'complete') answer = response.body.string;
      else for await (const chunk of response.body.asyncIterator) answer += chunk;
      return { status: response.status ?? 200, headers: [...response.headers], body: answer };
    };
    const answer =
      (await serve?.(req, body, (made) => run(() => Promise.resolve(made)))) ?? (await run(() => context(req)));
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status;
    res.end(answer.body);
  };
}

/** How long a client may take, and how many may connect at once. */
export interface HttpSettings {
  /** The whole request, body included: a half-sent body cannot hold a socket longer. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * The client's address for per-address limits. Behind `trustedProxies` proxies (load balancers
 * that append the address they saw to `X-Forwarded-For`), it is the entry the outermost trusted
 * proxy appended: entries to its left were written by the client and prove nothing. Without
 * trusted proxies the header is ignored.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxies <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return hops[hops.length - trustedProxies] ?? hops[0] ?? peer;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Operational endpoints answer the machine itself, or an admin's token. */
export async function mayOperate(
  remoteAddress: string | undefined,
  authorization: string | undefined,
  verifier: TokenVerifier | undefined,
): Promise<boolean> {
  if (LOOPBACK.has(remoteAddress ?? '')) return true;
  if (!verifier) return false;
  return verifier.verify(authorization).then(
    (identity) => identity.isAdmin,
    () => false,
  );
}

/**
 * Who may read `/metrics`: whoever may operate (`mayOperate`), and a Prometheus server elsewhere
 * that sends `metricsToken` as its bearer (compared in constant time).
 */
export function scrapeAccess(verifier: TokenVerifier | undefined, metricsToken: string | undefined) {
  const expected = metricsToken && createHash('sha256').update(metricsToken).digest();
  return async (remoteAddress: string | undefined, authorization: string | undefined): Promise<boolean> => {
    const given = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '')?.[1];
    if (expected && given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected))
      return true;
    return mayOperate(remoteAddress, authorization, verifier);
  };
}

export interface HttpService {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Routes `/graphql` to the GraphQL handler; answers `/health/live` (and `/health`) while the process
 * runs, `/health/ready` with its readiness (200 ready or degraded, 503 unready or draining; each
 * check's result only to the local machine or an admin token) and `/stats` with its counters.
 * Listening is the last step of start-up.
 */
export async function listen({
  graphql,
  port,
  host,
  onError,
  stats,
  extra,
  settings,
  opsVerifier,
  health,
  metrics,
  metricsToken,
}: {
  graphql: RequestHandler;
  port: number;
  host: string;
  onError: (err: unknown) => void;
  stats?: () => unknown;
  /** Serves other paths (the playground); returns false to pass. */
  extra?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
  settings: HttpSettings;
  /** Lets an admin's token read `/stats` from another machine; without it, loopback only. */
  opsVerifier?: TokenVerifier;
  /** What `/health/ready` answers; without it, ready whenever the process answers. */
  health?: Health;
  /** Served at `/metrics` in Prometheus's text format, to the same callers as `/stats`. */
  metrics?: Metrics;
  /** Also lets `Authorization: Bearer <metricsToken>` read `/metrics` (a Prometheus server elsewhere). */
  metricsToken?: string;
}): Promise<HttpService> {
  const mayScrape = scrapeAccess(opsVerifier, metricsToken);
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/health' || path === '/health/live') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (path === '/health/ready') {
      void (async () => {
        const report = health ? await health.report() : { status: 'ready' as const, checks: {} };
        // Anyone (an orchestrator's probe) learns the verdict; what failed and why, only an operator.
        const detailed = await mayOperate(req.socket.remoteAddress, req.headers.authorization, opsVerifier);
        sendJson(res, isReady(report) ? 200 : 503, detailed ? report : { status: report.status });
      })().catch(onError);
      return;
    }
    /** An operational endpoint: refused (403) unless `allowed`, else answered by `serve`. */
    const operational = (allowed: Promise<boolean>, serve: () => Promise<void> | void) => {
      allowed
        .then((ok) =>
          ok ? serve() : sendJson(res, 403, { error: `${path} answers the local machine or an admin token` }),
        )
        .catch(onError);
    };
    if (path === '/metrics' && metrics) {
      operational(mayScrape(req.socket.remoteAddress, req.headers.authorization), async () => {
        const { contentType, body } = await metrics.scrape();
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      });
      return;
    }
    if (path === '/stats') {
      operational(mayOperate(req.socket.remoteAddress, req.headers.authorization, opsVerifier), () => {
        // `?gc=1` collects garbage first, in a process started with --expose-gc (benchmarks only).
        const gc = (globalThis as { gc?: () => void }).gc;
        if (gc && url.searchParams.get('gc') === '1') gc();
        sendJson(res, 200, stats?.() ?? {});
      });
      return;
    }
    if (extra?.(req, res, path)) return;
    if (path !== '/graphql') {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    graphql(req, res).catch((err) => {
      // The client went away, or its request timed out (answered 408 already): nothing to report.
      if (req.destroyed && (err as { code?: unknown }).code === 'ECONNRESET') return;
      onError(err);
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
      else res.end();
    });
  };
  const server = createServer(
    {
      requestTimeout: settings.requestTimeoutMs,
      headersTimeout: settings.headersTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // How often timed-out requests are looked for: a tenth of the shortest timeout, at most a second.
      connectionsCheckingInterval: Math.min(
        1000,
        Math.ceil(Math.min(settings.requestTimeoutMs, settings.headersTimeoutMs) / 10),
      ),
    },
    route,
  );
  server.maxConnections = settings.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
