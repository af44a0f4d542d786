import { createGateway } from '../gateway/server.ts';
import { signDevToken } from '../platform/auth.ts';
import { listen } from '../platform/http.ts';
import { openInfrastructure } from '../platform/infrastructure.ts';
import { createDisposer, exitOnSignal } from '../platform/lifecycle.ts';
import { createLogger } from '../platform/logger.ts';
import { configOrExit } from '../platform/main.ts';
import type { ServiceFactory } from '../platform/service.ts';
import { createInventoryService, inventoryMigrations } from '../subgraphs/inventory/server.ts';
import { seedDemoCatalog } from '../subgraphs/inventory/seed.ts';
import { createOrderService, orderMigrations } from '../subgraphs/order/server.ts';
import { createPaymentService, paymentMigrations } from '../subgraphs/payment/server.ts';

/**
 * The whole system in one process: every subgraph, the saga and the gateway, on the embedded
 * defaults (PGlite, in-process transport and cache) unless DATABASE_URL, KAFKA_BROKERS or
 * REDIS_URL name real services.
 */
const startedAt = Date.now();
const config = configOrExit();
const logger = createLogger(config.logLevel, 'sagaway');
const disposer = createDisposer(logger);
exitOnSignal(disposer.dispose, logger);

try {
  const infra = await openInfrastructure(config, logger, disposer);
  for (const set of [orderMigrations, inventoryMigrations, paymentMigrations]) await infra.database.migrate(set);
  await seedDemoCatalog(infra.database.db);
  const deps = { config, logger, db: infra.database.db, ...infra };
  const factories: [keyof typeof config.subgraphUrls, ServiceFactory][] = [
    ['inventory', createInventoryService],
    ['payment', createPaymentService],
    ['order', createOrderService],
  ];
  for (const [name, create] of factories) {
    const service = await create(deps);
    disposer.use(service.stop);
    const http = await listen({ graphql: service.graphql, port: config.ports[name], host: config.host, onError: (err) => logger.error({ err }, 'request failed') });
    disposer.use(http.close);
  }
  const gateway = await createGateway({ config, verifier: infra.verifier, logger });
  disposer.use(gateway.stop);
  const http = await listen({ graphql: gateway.graphql, port: config.ports.gateway, host: config.host, onError: (err) => logger.error({ err }, 'request failed') });
  disposer.use(http.close);

  const token = await signDevToken(config.jwtSecret, 'demo-customer');
  const adminToken = await signDevToken(config.jwtSecret, 'demo-admin', { admin: true });
  logger.info({ ...infra.describe, ms: Date.now() - startedAt }, 'sagaway ready');
  process.stdout.write(
    [
      '',
      `  Sagaway is running (${((Date.now() - startedAt) / 1000).toFixed(1)} s).`,
      `  GraphQL:     http://${config.host}:${http.port}/graphql`,
      `  Database:    ${infra.describe.database}`,
      `  Messaging:   ${infra.describe.transport}`,
      `  Cache:       ${infra.describe.cache}`,
      '',
      '  Send one of these as the header  authorization: Bearer <token>',
      `  Demo token (customer "demo-customer"): ${token}`,
      `  Admin token ("demo-admin"):            ${adminToken}`,
      '',
    ].join('\n') + '\n',
  );
} catch (err) {
  logger.fatal({ err }, 'sagaway failed to start');
  await disposer.dispose();
  process.exit(1);
}
