import type { Database } from '../db/index.ts';
import { serveGateway } from '../gateway/serve.ts';
import type { Config, Logger } from '../kernel/index.ts';
import { createDisposer, createMetrics } from '../kernel/index.ts';
import { drain, type Infrastructure, openInfrastructure, processHealth, serveHttp } from '../runtime/index.ts';
import { seedDemoCatalog } from '../subgraphs/inventory/seed.ts';
import { services } from './registry.ts';

export interface EmbeddedSystem {
  /** The gateway's GraphQL endpoint. */
  url: string;
  infra: Infrastructure;
  stop(): Promise<void>;
}

/**
 * Every subgraph, the saga and the gateway in one process — `npm start`, and tests that want the
 * whole graph without processes. Each service listens on its configured port (0: any free one).
 */
export async function startEmbeddedSystem(
  config: Config,
  logger: Logger,
  { database }: { database?: Database } = {},
): Promise<EmbeddedSystem> {
  const disposer = createDisposer(logger);
  try {
    const infra = await openInfrastructure(config, logger, disposer, { database });
    for (const { migrations } of services) await infra.database.migrate(migrations);
    await seedDemoCatalog(infra.database.db);
    const deps = { config, logger, db: infra.database.db, ...infra };
    // One registry per service, each served on that service's port, as if it ran alone.
    const metricsOf = (name: string) => createMetrics(name, { processMetrics: name === 'gateway' });
    const urls = { ...config.subgraphUrls };
    for (const { name, load } of services) {
      const metrics = metricsOf(name);
      const service = await (await load())({ ...deps, metrics });
      disposer.use(service.stop);
      const health = processHealth(config, infra, service.checks);
      const http = await serveHttp(
        { config, verifier: infra.verifier, logger },
        { graphql: service.graphql, stats: service.stats, port: config.ports[name], health, metrics },
      );
      disposer.use(http.close);
      disposer.use(() => drain(health, 0));
      // The gateway must reach each subgraph where it really listens (port 0: any free one).
      urls[name] = `http://${config.host}:${http.port}/graphql`;
    }
    const gateway = await serveGateway({
      config: { ...config, subgraphUrls: urls },
      verifier: infra.verifier,
      logger,
      transport: infra.transport,
      cache: infra.cache,
      metrics: metricsOf('gateway'),
    });
    disposer.use(gateway.close);
    return { url: `http://${config.host}:${gateway.port}/graphql`, infra, stop: disposer.dispose };
  } catch (err) {
    await disposer.dispose();
    throw err;
  }
}
