import type { MigrationSet } from '../db/index.ts';
import {
  type Config,
  ConfigError,
  createDisposer,
  createLogger,
  exitOnSignal,
  loadConfig,
  type ServiceName,
} from '../kernel/index.ts';
import { serveHttp } from './http.ts';
import { openInfrastructure } from './infrastructure.ts';
import type { ServiceFactory } from './service.ts';

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
  try {
    const infra = await openInfrastructure(config, logger, disposer);
    for (const set of migrations) await infra.database.migrate(set);
    const service = await create({ config, logger, db: infra.database.db, ...infra });
    disposer.use(() => service.stop());
    const http = await serveHttp(
      { config, verifier: infra.verifier, logger },
      { graphql: service.graphql, stats: service.stats, port: config.ports[name] },
    );
    disposer.use(() => http.close());
    logger.info({ port: http.port, ...infra.describe }, `${name} service ready`);
  } catch (err) {
    logger.fatal({ err }, `${name} service failed to start`);
    await disposer.dispose();
    process.exit(1);
  }
}
