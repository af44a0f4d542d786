import type { Cache } from '../cache/index.ts';
import { type Config, createMetrics, type Logger, type Metrics, type TokenVerifier } from '../kernel/index.ts';
import type { Transport } from '../messaging/wire.ts';
import { drain, processHealth, serveHttp } from '../runtime/index.ts';
import { servePlayground } from './playground.ts';
import { createGateway } from './server.ts';

/**
 * The gateway on its HTTP port (`config.ports.gateway`; 0: any free one): GraphQL, the playground
 * when configured, `/stats`, `/health/ready`, and subscriptions on the same server. `close` turns
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
        extra: config.playground ? servePlayground : undefined,
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
