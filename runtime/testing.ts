import { createMemoryCache } from '../cache/index.ts';
import type { MigrationSet } from '../db/index.ts';
import { openMigratedPglite } from '../db/testing.ts';
import {
  createLogger,
  createMetrics,
  createTokenVerifier,
  devPolicy,
  GATEWAY_SIGNATURE_HEADER,
  listen,
  loadConfig,
  signDevToken,
  signGatewayRequest,
} from '../kernel/index.ts';
import { createMemoryTransport } from '../messaging/index.ts';
import type { Service, ServiceDeps } from './service.ts';

const JWT_SECRET = 'resolver-test-secret-0123456789';
const policy = devPolicy(JWT_SECRET);

export interface GraphQLResult<T> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

/**
 * One subgraph service on an in-memory PGlite database and the in-process transport, served over
 * HTTP on a free port, for resolver tests: requests go through the same authentication, resolvers
 * and SQL as in production.
 */
export async function startSubgraphForTest(
  migrations: MigrationSet[],
  create: (deps: ServiceDeps) => Promise<Service>,
  env: Record<string, string> = {},
) {
  const config = loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET, OUTBOX_POLL_MS: '60000', ...env });
  const logger = createLogger('silent');
  const database = await openMigratedPglite();
  for (const set of migrations) await database.migrate(set);
  const transport = createMemoryTransport();
  const deps: ServiceDeps = {
    config,
    logger,
    database,
    db: database.db,
    transport,
    cache: createMemoryCache(),
    verifier: createTokenVerifier(policy),
    metrics: createMetrics('test', { processMetrics: false }),
  };
  const service = await create(deps);
  const http = await listen({
    graphql: service.graphql,
    settings: config.http,
    port: 0,
    host: '127.0.0.1',
    onError: () => {},
  });
  const url = `http://127.0.0.1:${http.port}/graphql`;
  return {
    url,
    deps,
    token: (customerId: string, { admin = false } = {}) => signDevToken(policy, customerId, { admin }),
    /** Sends one operation as `as` (a customer id, or `{ admin }`); no `as`: no token. */
    async request<T>(
      query: string,
      variables: Record<string, unknown> = {},
      as?: string | { admin: string },
    ): Promise<GraphQLResult<T>> {
      const token =
        as === undefined
          ? undefined
          : typeof as === 'string'
            ? await signDevToken(policy, as)
            : await signDevToken(policy, as.admin, { admin: true });
      const body = JSON.stringify({ query, variables });
      const authorization = token ? `Bearer ${token}` : '';
      // Sent as the gateway sends it: signed.
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(config.gatewaySecret, body, authorization),
          ...(token ? { authorization } : {}),
        },
        body,
      });
      return (await response.json()) as GraphQLResult<T>;
    },
    async stop() {
      await http.close();
      await service.stop();
      await transport.close();
      await database.close();
    },
  };
}

export const codeOf = (result: GraphQLResult<unknown>) => result.errors?.[0]?.extensions?.code;
