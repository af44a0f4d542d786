import type { Cache } from './cache.ts';

/**
 * A read model in the cache: JSON views stored with a version. A view is stored only if it is
 * newer than what the cache holds, and `invalidate(key, version)` leaves a marker that refuses
 * every view older than `version` — so a reader that loaded a view just before a change cannot put
 * the stale view back after the change was announced. Hits and misses are counted.
 */
export interface ReadModel<T> {
  get(id: string): Promise<T | null>;
  getMany(ids: string[]): Promise<(T | null)[]>;
  put(id: string, version: number, view: T): Promise<void>;
  /** Views older than `version` are stale from now on. */
  invalidate(id: string, version: number): Promise<void>;
  /** Forgets the view whatever its version. */
  evict(ids: string[]): Promise<void>;
  stats(): { hits: number; misses: number };
}

export function createReadModel<T>(cache: Cache, name: string, ttlSeconds: number): ReadModel<T> {
  const key = (id: string) => `view:${name}:${id}`;
  let hits = 0;
  let misses = 0;
  return {
    async get(id) {
      return (await this.getMany([id]))[0]!;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const raws = await cache.getMany(ids.map(key));
      return raws.map((raw) => {
        const view = raw ? ((JSON.parse(raw) as { d: T | null }).d ?? null) : null;
        if (view) hits++;
        else misses++;
        return view;
      });
    },
    put: (id, version, view) => cache.setIfNewer(key(id), version, JSON.stringify({ v: version, d: view }), ttlSeconds),
    // The marker sits just below `version`: a view of `version` itself may still be stored.
    invalidate: (id, version) =>
      cache.setIfNewer(key(id), version - 0.5, JSON.stringify({ v: version - 0.5, d: null }), ttlSeconds),
    evict: (ids) => cache.delete(ids.map(key)),
    stats: () => ({ hits, misses }),
  };
}
