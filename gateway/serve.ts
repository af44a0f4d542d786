import type { Cache } from '../cache/index.ts';
import {
  type Config,
  createMetrics,
  DEVELOPMENT_JWT_SECRET,
  type Logger,
  type Metrics,
  signDevToken,
  type TokenVerifier,
} from '../kernel/index.ts';
import type { Transport } from '../messaging/wire.ts';
import { drain, processHealth, serveHttp } from '../runtime/index.ts';
import { type DemoTokens, pagesHandler } from './pages.ts';
import { createGateway } from './server.ts';

/**
 * The gateway on its HTTP port (`config.ports.gateway`; 0: any free one): GraphQL, the playground
 * and the saga console when configured, `/stats`, `/health/ready`, and subscriptions on the same server. `close` turns
 * unready first (for SHUTDOWN_DRAIN_MS), then ends the subscriptions before the HTTP server, which
 * waits for open connections.
 */
export async function serveGateway(deps: {
  config: Config;
  verifier: TokenVerifier;
  logger: Logger;
  transport: Transport;
  cache: Cache;
  /** Its Prometheus registry (default: a registry of its own). */
  metrics?: Metrics;
}): Promise<{ port: number; close(): Promise<void> }> {
  const { config, verifier, logger, metrics = createMetrics('gateway') } = deps;
  const gateway = await createGateway({ ...deps, metrics });
  const health = processHealth(config, { cache: deps.cache }, gateway.checks);
  try {
    const http = await serveHttp(
      { config, verifier, logger },
      {
        graphql: gateway.graphql,
        extra: pagesHandler({ playground: config.playground, console: config.console, demoTokens: demoTokens(config) }),
        stats: gateway.stats,
        port: config.ports.gateway,
        health,
        metrics,
      },
    );
    gateway.serveSubscriptions(http.server);
    return {
      port: http.port,
      async close() {
        await drain(health, config.shutdownDrainMs);
        await gateway.stop();
        await http.close();
      },
    };
  } catch (err) {
    await gateway.stop();
    throw err;
  }
}

/**
 * Demo tokens for the pages, only while tokens are verified with the public development secret
 * (never in production, which refuses that secret): they grant nothing its publication does not.
 */
function demoTokens(config: Config): DemoTokens | undefined {
  if (config.strict || config.auth.secret !== DEVELOPMENT_JWT_SECRET) return undefined;
  return {
    customer: () => signDevToken(config.auth, 'demo-customer'),
    admin: () => signDevToken(config.auth, 'demo-admin', { admin: true }),
  };
}
