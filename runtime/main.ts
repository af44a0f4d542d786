import type { Cache } from '../cache/index.ts';
import type { Database, MigrationSet } from '../db/index.ts';
import {
  type Config,
  ConfigError,
  createDisposer,
  createHealth,
  createLogger,
  createMetrics,
  exitOnSignal,
  type Health,
  type HealthCheck,
  loadConfig,
  type ServiceName,
} from '../kernel/index.ts';
import { serveHttp } from './http.ts';
import { openInfrastructure } from './infrastructure.ts';
import type { ServiceFactory } from './service.ts';
import { stopTracing } from './tracing.ts';

/** Reads the configuration or exits with a message that names the bad variable. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * A service process's readiness: its database answers (critical), its own checks (consumers,
 * relay), and Redis when one is configured (only degraded without it: reads go to the database).
 */
export function processHealth(
  config: Config,
  infra: { database?: Database; cache: Cache },
  checks: HealthCheck[] = [],
): Health {
  const health = createHealth();
  const { database, cache } = infra;
  if (database) health.add({ name: 'postgres', critical: true, check: () => database.ping() });
  if (config.redisUrl) health.add({ name: 'redis', critical: false, check: () => cache.ping() });
  checks.forEach(health.add);
  return health;
}

/** Shutdown's first step: unready at once, then `ms` for traffic to move away before serving stops. */
export async function drain(health: Health, ms: number): Promise<void> {
  health.drain();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** The `index.ts` of a subgraph service: migrate, build, listen, and stop cleanly on SIGTERM. */
export async function runServiceProcess(
  name: ServiceName,
  migrations: MigrationSet[],
  create: ServiceFactory,
): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel, name);
  const disposer = createDisposer(logger);
  exitOnSignal(disposer.dispose, logger);
  // Released last: the spans of the shutdown itself are sent too.
  disposer.use(stopTracing);
  try {
    const infra = await openInfrastructure(config, logger, disposer);
    for (const set of migrations) await infra.database.migrate(set);
    const metrics = createMetrics(name);
    const service = await create({ config, logger, db: infra.database.db, metrics, ...infra });
    disposer.use(() => service.stop());
    const health = processHealth(config, infra, service.checks);
    const http = await serveHttp(
      { config, verifier: infra.verifier, logger },
      { graphql: service.graphql, stats: service.stats, port: config.ports[name], health, metrics },
    );
    disposer.use(() => http.close());
    // Released first: unready before anything stops.
    disposer.use(() => drain(health, config.shutdownDrainMs));
    logger.info({ port: http.port, ...infra.describe }, `${name} service ready`);
  } catch (err) {
    logger.fatal({ err }, `${name} service failed to start`);
    await disposer.dispose();
    process.exit(1);
  }
}
