import { Redis } from 'ioredis';
import type { Logger } from '../kernel/index.ts';

/**
 * A string cache with expiry. It is an optimisation only: every implementation answers a failure
 * as a miss (and a failed write as done), so callers fall back to the source of truth.
 */
export interface Cache {
  getMany(keys: string[]): Promise<(string | null)[]>;
  /** Answers whether every entry was written (callers that invalidate must know). */
  setMany(entries: [key: string, value: string][], ttlSeconds: number): Promise<boolean>;
  delete(keys: string[]): Promise<void>;
  /**
   * Stores each value whose key holds none, and answers what every key holds now: its own value,
   * or the one stored first (so several processes agree on one). Null where the cache failed.
   */
  claim(entries: [key: string, value: string][], ttlSeconds: number): Promise<(string | null)[]>;
  /** Stores `value` (JSON with a numeric `v`) unless the entry held has a version at least as high. */
  setIfNewer(key: string, version: number, value: string, ttlSeconds: number): Promise<void>;
  /** Resolves once the cache answered; throws why it could not (the others degrade to misses instead). */
  ping(): Promise<void>;
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
      return true;
    },
    async delete(keys) {
      for (const k of keys) entries.delete(k);
    },
    async claim(list, ttlSeconds) {
      return list.map(([key, value]) => {
        const held = get(key);
        if (held !== null) return held;
        entries.set(key, { value, expiresAt: clock() + ttlSeconds * 1000 });
        return value;
      });
    },
    async setIfNewer(key, version, value, ttlSeconds) {
      const current = get(key);
      if (current !== null && (JSON.parse(current) as { v: number }).v >= version) return;
      entries.set(key, { value, expiresAt: clock() + ttlSeconds * 1000 });
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}

/**
 * Redis-backed cache; commands fail fast while Redis is unreachable instead of queueing. Resolves
 * once connected, or after `connectTimeoutMs` degraded (every read a miss) while it keeps trying.
 */
export async function createRedisCache(
  url: string,
  logger: Logger,
  prefix = 'sagaway:',
  connectTimeoutMs = 2000,
): Promise<Cache> {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    // Commands issued in the same tick (a batch of invalidations) share one write.
    enableAutoPipelining: true,
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
  // Compare and set in one step on the server: no reader can slip an older version in between.
  redis.defineCommand('setIfNewer', {
    numberOfKeys: 1,
    lua: `local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, c = pcall(cjson.decode, cur)
  if ok and type(c) == 'table' and tonumber(c.v) and tonumber(c.v) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`,
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, connectTimeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const degrade =
    <T>(fallback: T) =>
    (err: unknown) => {
      logger.debug({ err }, 'cache operation failed');
      return fallback;
    };
  return {
    getMany: (keys) =>
      keys.length === 0 ? Promise.resolve([]) : redis.mget(keys).catch(degrade(keys.map(() => null))),
    async setMany(list, ttlSeconds) {
      if (list.length === 0) return true;
      if (list.length === 1) {
        const [[key, value]] = list as [[string, string]];
        return (await redis.set(key, value, 'EX', ttlSeconds).catch(degrade(null))) === 'OK';
      }
      const pipeline = redis.multi();
      for (const [key, value] of list) pipeline.set(key, value, 'EX', ttlSeconds);
      const results = await pipeline.exec().catch(degrade(null));
      return results?.every(([err]) => !err) ?? false;
    },
    async delete(keys) {
      if (keys.length > 0) await redis.del(...keys).catch(degrade(0));
    },
    // SET … NX GET (Redis 7): stores the value if the key holds none, and answers what it held.
    claim: (list, ttlSeconds) =>
      Promise.all(
        list.map(([key, value]) =>
          redis
            .set(key, value, 'EX', ttlSeconds, 'NX', 'GET')
            .then((held) => held ?? value)
            .catch(degrade(null)),
        ),
      ),
    async setIfNewer(key, version, value, ttlSeconds) {
      await (redis as unknown as { setIfNewer(k: string, v: number, value: string, ttl: number): Promise<number> })
        .setIfNewer(key, version, value, ttlSeconds)
        .catch(degrade(0));
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      redis.disconnect();
    },
  };
}
