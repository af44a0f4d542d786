import { startEmbeddedSystem } from '../gateway/embedded.ts';
import { signDevToken } from '../platform/auth.ts';
import { exitOnSignal } from '../platform/lifecycle.ts';
import { createLogger } from '../platform/logger.ts';
import { configOrExit } from '../platform/main.ts';

/**
 * `npm start`: the whole system in one process, on the embedded defaults (PGlite, in-process
 * transport and cache) unless DATABASE_URL, KAFKA_BROKERS or REDIS_URL name real services.
 */
const startedAt = Date.now();
const config = configOrExit();
const logger = createLogger(config.logLevel, 'sagaway');

try {
  const system = await startEmbeddedSystem(config, logger);
  exitOnSignal(system.stop, logger);
  const token = await signDevToken(config.jwtSecret, 'demo-customer');
  const adminToken = await signDevToken(config.jwtSecret, 'demo-admin', { admin: true });
  const { describe } = system.infra;
  logger.info({ ...describe, ms: Date.now() - startedAt }, 'sagaway ready');
  process.stdout.write(
    [
      '',
      `  Sagaway is running (${((Date.now() - startedAt) / 1000).toFixed(1)} s).`,
      `  GraphQL:     ${system.url}`,
      `  Database:    ${describe.database}`,
      `  Messaging:   ${describe.transport}`,
      `  Cache:       ${describe.cache}`,
      '',
      '  Send one of these as the header  authorization: Bearer <token>',
      `  Demo token (customer "demo-customer"): ${token}`,
      `  Admin token ("demo-admin"):            ${adminToken}`,
      '',
    ].join('\n') + '\n',
  );
} catch (err) {
  logger.fatal({ err }, 'sagaway failed to start');
  process.exit(1);
}
