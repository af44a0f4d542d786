import { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';

/**
 * A string cache with expiry. It is an optimisation only: every implementation answers a failure
 * as a miss (and a failed write as done), so callers fall back to the source of truth.
 */
export interface Cache {
  getMany(keys: string[]): Promise<(string | null)[]>;
  setMany(entries: [key: string, value: string][], ttlSeconds: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

export function createMemoryCache(clock: () => number = Date.now): Cache {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const get = (key: string) => {
    const e = entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= clock()) {
      entries.delete(key);
      return null;
    }
    return e.value;
  };
  return {
    async getMany(keys) {
      return keys.map(get);
    },
    async setMany(list, ttlSeconds) {
      for (const [key, value] of list) entries.set(key, { value, expiresAt: clock() + ttlSeconds * 1000 });
    },
    async delete(keys) {
      keys.forEach((k) => entries.delete(k));
    },
    async close() {
      entries.clear();
    },
  };
}

/** Redis-backed cache; commands fail fast while Redis is unreachable instead of queueing. */
export function createRedisCache(url: string, logger: Logger, prefix = 'sagaway:'): Cache {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let warned = false;
  redis.on('error', (err) => {
    if (!warned) logger.warn({ err }, 'redis unavailable; reading through');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  const degrade = <T>(fallback: T) => (err: unknown) => {
    logger.debug({ err }, 'cache operation failed');
    return fallback;
  };
  return {
    getMany: (keys) => (keys.length === 0 ? Promise.resolve([]) : redis.mget(keys).catch(degrade(keys.map(() => null)))),
    async setMany(list, ttlSeconds) {
      if (list.length === 0) return;
      const pipeline = redis.multi();
      for (const [key, value] of list) pipeline.set(key, value, 'EX', ttlSeconds);
      await pipeline.exec().catch(degrade(null));
    },
    async delete(keys) {
      if (keys.length > 0) await redis.del(...keys).catch(degrade(0));
    },
    async close() {
      redis.disconnect();
    },
  };
}
