import type { ApolloServerPlugin } from '@apollo/server';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../kernel/index.ts';
import { rateLimited, retryAfterSeconds } from '../kernel/index.ts';
import type { GatewayContext } from './server.ts';

/** Requests per minute: per client address (before any token is read), per customer, and mutations per customer. */
export interface RateLimits {
  perAddress: number;
  perCustomer: number;
  mutationsPerCustomer: number;
}

export interface RateLimiter {
  /** Milliseconds until the address may send again, or 0 when it may now. */
  address(ip: string): Promise<number>;
  /** The same for a customer's operation; mutations count against both their limits. */
  customer(customerId: string, mutation: boolean): Promise<number>;
  close(): Promise<void>;
}

/**
 * Rate limits shared by every gateway replica through Redis (rate-limiter-flexible, fixed windows
 * of a minute). When Redis is unreachable each replica falls back to the same limits in its own
 * memory at once, rather than waiting or refusing: the limits loosen by the number of replicas,
 * and nobody is refused because Redis is down. Without Redis (embedded), memory alone.
 */
export function createRateLimiter({
  limits,
  redisUrl,
  keyPrefix,
  logger,
}: {
  limits: RateLimits;
  redisUrl?: string;
  keyPrefix: string;
  logger: Logger;
}): RateLimiter {
  const redis = redisUrl
    ? new Redis(redisUrl, {
        keyPrefix,
        // The limits of requests arriving together go out in one write (a syscall per command otherwise).
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      })
    : undefined;
  redis?.on('error', (err) => logger.debug({ err }, 'rate limits: redis unavailable, limiting in memory'));
  const limiter = (name: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: `rl:${name}`, points, duration: 60 });
    return redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `rl:${name}`,
          points,
          duration: 60,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
  };
  const perAddress = limiter('address', limits.perAddress);
  const perCustomer = limiter('customer', limits.perCustomer);
  const mutations = limiter('mutation', limits.mutationsPerCustomer);
  const consume = async (l: RateLimiterAbstract, key: string): Promise<number> => {
    try {
      await l.consume(key);
      return 0;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return Math.max(1, refusal.msBeforeNext);
      logger.warn({ err: refusal }, 'rate limiter failed; request let through');
      return 0; // fail open
    }
  };
  return {
    address: (ip) => consume(perAddress, ip),
    async customer(customerId, mutation) {
      const waits = await Promise.all([
        consume(perCustomer, customerId),
        mutation ? consume(mutations, customerId) : 0,
      ]);
      return Math.max(...waits);
    },
    async close() {
      redis?.disconnect();
    },
  };
}

export const tooMany = (retryAfterMs: number, what: string) =>
  rateLimited(`Too many ${what}; retry in ${retryAfterSeconds(retryAfterMs)} s`, retryAfterMs);

/** Counts every operation against its customer's limits once the operation is known (admins are not limited). */
export function customerRateLimitPlugin(limiter: RateLimiter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, request }) {
          // The gateway's own reads for its subscribers (no HTTP request) were paid for by the subscription.
          // Counted already by the response cache's way (gateway/server.ts) when `counted`.
          if (!request.http || contextValue.identity.isAdmin || contextValue.counted) return;
          const mutation = operation?.operation === 'mutation';
          const wait = await limiter.customer(contextValue.identity.customerId, mutation);
          if (wait > 0) throw tooMany(wait, mutation ? 'orders or changes' : 'requests');
        },
      };
    },
  };
}
