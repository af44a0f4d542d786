import { createLogger, exitOnSignal, signDevToken } from '../kernel/index.ts';
import { configOrExit } from '../runtime/index.ts';
import { startEmbeddedSystem } from '../system/embedded.ts';

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
  const { describe } = system.infra;
  logger.info({ ...describe, ms: Date.now() - startedAt }, 'sagaway ready');
  const lines = [
    '',
    `  Sagaway is running (${((Date.now() - startedAt) / 1000).toFixed(1)} s).`,
    `  GraphQL:     ${system.url}`,
    ...(config.console ? [`  Console:     ${new URL('/console', system.url)}`] : []),
    `  Database:    ${describe.database}`,
    `  Messaging:   ${describe.transport}`,
    `  Cache:       ${describe.cache}`,
    '',
  ];
  // Demo tokens are a development convenience: in production tokens come from the identity provider.
  if (!config.strict && config.auth.secret) {
    const token = await signDevToken(config.auth, 'demo-customer');
    const adminToken = await signDevToken(config.auth, 'demo-admin', { admin: true });
    lines.push(
      '  Send one of these as the header  authorization: Bearer <token>',
      `  Demo token (customer "demo-customer"): ${token}`,
      `  Admin token ("demo-admin"):            ${adminToken}`,
      '',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  logger.fatal({ err }, 'sagaway failed to start');
  process.exit(1);
}
