import { createMemoryCache } from '../cache/index.ts';
import { createLogger, createTokenVerifier, loadConfig } from '../kernel/index.ts';
import { createMemoryTransport } from '../messaging/wire.ts';
import { serveGateway } from './serve.ts';

/**
 * The gateway alone on a free port, silent, on the in-process transport and cache, its subgraphs
 * pointed nowhere: for tests of its own HTTP layer and construction, which never reach a subgraph.
 * `env` is added to (and may override) that configuration.
 */
export async function serveGatewayAlone(env: Record<string, string> = {}) {
  const nowhere = 'http://127.0.0.1:9/graphql';
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    GATEWAY_PORT: '0',
    JWT_SECRET: 'gateway-alone-test-secret-0123456789',
    ORDER_URL: nowhere,
    INVENTORY_URL: nowhere,
    PAYMENT_URL: nowhere,
    ...env,
  });
  const gateway = await serveGateway({
    config,
    verifier: createTokenVerifier(config.auth),
    logger: createLogger('silent'),
    transport: createMemoryTransport(),
    cache: createMemoryCache(),
  });
  return { url: `http://127.0.0.1:${gateway.port}/graphql`, close: gateway.close };
}
