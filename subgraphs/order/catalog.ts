import type { Cache } from '../../cache/cache.ts';
import { CORRELATION_HEADER } from '../../platform/http.ts';
import { parseCents, type Cents } from '../../platform/money.ts';

/** Prices of products, as the inventory subgraph publishes them. */
export interface Catalog {
  /** The price of each known id; unknown ids are absent. */
  prices(ids: string[], request: { authorization: string; correlationId: string }): Promise<Map<string, Cents>>;
}

export class CatalogUnavailableError extends Error {
  override name = 'CatalogUnavailableError';
}

const query = `query Prices($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id price } }
}`;

/**
 * Reads prices from the inventory subgraph through its federation entry point, with the caller's
 * token, and keeps them in the cache: a price does not change while an order is placed.
 */
export function createInventoryCatalog({ url, cache, ttlSeconds }: { url: string; cache: Cache; ttlSeconds: number }): Catalog {
  const key = (id: string) => `catalog:price:${id}`;
  return {
    async prices(ids, { authorization, correlationId }) {
      const found = new Map<string, Cents>();
      const cached = await cache.getMany(ids.map(key));
      ids.forEach((id, i) => {
        const value = cached[i];
        if (value !== null && value !== undefined) found.set(id, Number(value));
      });
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length === 0) return found;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization, [CORRELATION_HEADER]: correlationId },
        body: JSON.stringify({ query, variables: { representations: missing.map((id) => ({ __typename: 'Product', id })) } }),
        signal: AbortSignal.timeout(5000),
      }).catch((err: unknown) => {
        throw new CatalogUnavailableError(`inventory is unreachable: ${String(err)}`);
      });
      const body = (await response.json().catch(() => ({}))) as { data?: { _entities?: ({ id: string; price: string } | null)[] }; errors?: unknown[] };
      if (!response.ok || !body.data?._entities) throw new CatalogUnavailableError(`inventory answered ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
      const fresh: [string, string][] = [];
      for (const entity of body.data._entities) {
        if (!entity) continue;
        const cents = parseCents(entity.price);
        found.set(entity.id, cents);
        fresh.push([key(entity.id), String(cents)]);
      }
      await cache.setMany(fresh, ttlSeconds);
      return found;
    },
  };
}
