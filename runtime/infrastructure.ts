import { type Cache, createMemoryCache, createRedisCache } from '../cache/index.ts';
import type { Database } from '../db/index.ts';
import type { Config, Disposer, Logger } from '../kernel/index.ts';
import { createTokenVerifier, type TokenVerifier } from '../kernel/index.ts';
import type { Transport } from '../messaging/wire.ts';
import { allTopics, createKafkaTransport, createMemoryTransport } from '../messaging/wire.ts';
import { tracingActive } from './tracing.ts';

export interface Infrastructure {
  database: Database;
  transport: Transport;
  cache: Cache;
  verifier: TokenVerifier;
  /** Which backing service each part uses, for the start-up log. */
  describe: { database: string; transport: string; cache: string };
}

/** Kafka when KAFKA_BROKERS is set, else the in-process transport; every topic of the contract exists after. */
export async function openTransport(config: Config, logger: Logger, disposer: Disposer): Promise<Transport> {
  const transport = config.kafka.brokers
    ? createKafkaTransport({ ...config.kafka, brokers: config.kafka.brokers, logger })
    : createMemoryTransport({ logger });
  disposer.use(() => transport.close());
  await transport.ensureTopics(allTopics);
  return transport;
}

/** Redis when REDIS_URL is set, else an in-process cache. */
export async function openCache(config: Config, logger: Logger, disposer: Disposer): Promise<Cache> {
  const cache = config.redisUrl
    ? await createRedisCache(config.redisUrl, logger, config.cacheKeyPrefix)
    : createMemoryCache();
  disposer.use(() => cache.close());
  return cache;
}

/**
 * Opens the database, message transport and cache the configuration names: the real services
 * when their variables are set, the embedded ones otherwise. Each is registered for disposal.
 */
export async function openInfrastructure(
  config: Config,
  logger: Logger,
  disposer: Disposer,
  given: { database?: Database } = {},
): Promise<Infrastructure> {
  // Loaded here, not at the top: a process that opens no database (the gateway) loads no database code.
  const database =
    given.database ??
    (await (await import('../db/index.ts')).openDatabase({ ...config, traceQueries: tracingActive() }));
  disposer.use(() => database.close());
  const transport = await openTransport(config, logger, disposer);
  const cache = await openCache(config, logger, disposer);
  return {
    database,
    transport,
    cache,
    verifier: createTokenVerifier(config.auth),
    describe: {
      database: config.databaseUrl
        ? `postgres ${new URL(config.databaseUrl).host}${new URL(config.databaseUrl).pathname}`
        : `pglite ${config.dataDir}`,
      transport: config.kafka.brokers
        ? `kafka ${config.kafka.brokers.join(',')} (topics ${config.kafka.topicPrefix}.*)`
        : 'in-process',
      cache: config.redisUrl ? `redis ${new URL(config.redisUrl).host}` : 'in-process',
    },
  };
}
