import type { Database, QueryObserver } from '../db/index.ts';
import { openMigratedPglite } from '../db/testing.ts';
import { createLogger, loadConfig } from '../kernel/index.ts';
import { type EmbeddedSystem, startEmbeddedSystem } from './embedded.ts';

/**
 * The whole graph in one process for tests: an in-memory PGlite with every service's migrations
 * already applied, the in-process transport, every port free, and the outbox relay woken by
 * commits only (no polling). `env` adds to or overrides those settings.
 */
export async function startEmbeddedForTest(
  env: Record<string, string> = {},
  { onQuery }: { onQuery?: QueryObserver } = {},
): Promise<EmbeddedSystem & { database: Database }> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    GATEWAY_PORT: '0',
    ORDER_PORT: '0',
    INVENTORY_PORT: '0',
    PAYMENT_PORT: '0',
    OUTBOX_POLL_MS: '60000',
    ...env,
  });
  const database = await openMigratedPglite(onQuery);
  return { ...(await startEmbeddedSystem(config, createLogger('silent'), { database })), database };
}
