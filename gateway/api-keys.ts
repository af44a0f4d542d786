import { LRUCache } from 'lru-cache';
import type { ApiKeyScope, Identity, TokenVerifier } from '../kernel/index.ts';
import { ASSERTION_REUSE_MS, digestApiKey, isApiKey, signAssertion, unauthenticated } from '../kernel/index.ts';

/** The header a machine client sends its API key in (`apiKey` in the socket's connection parameters). */
export const API_KEY_HEADER = 'x-api-key';

/** What a client presents: a bearer token, or an API key. */
export interface Credentials {
  authorization?: string;
  apiKey?: string;
}

/** Who the caller is, and the credential the gateway forwards to the subgraphs for them. */
export interface Principal {
  identity: Identity;
  authorization: string;
}

/** Who a request through the gateway runs as: the principal, and the id that traces the request. */
export interface Caller extends Principal {
  correlationId: string;
}

export interface Authenticator {
  authenticate(credentials: Credentials): Promise<Principal>;
  /** Forgets a revoked key at once (its `ApiKeyRevoked` event reached this replica). */
  forget(apiKeyId: string): void;
}

/** A key as the order service (which keeps the keys) answers a lookup by digest. */
export interface KeyRecord {
  id: string;
  customerId: string;
  scopes: ApiKeyScope[];
  expiresAt: string | null;
}

export type KeyLookup = (digest: string) => Promise<KeyRecord | null>;

const invalidKey = () => unauthenticated('The API key is not valid: unknown, revoked or expired');

/**
 * People authenticate with the identity provider's bearer tokens, verified here and forwarded as
 * they are. Machine clients send an API key: the gateway digests it, asks the order service once
 * (the key itself never leaves the gateway), and forwards a short-lived assertion of the key's
 * customer and scopes, signed with a key derived from GATEWAY_SECRET, which subgraphs accept.
 *
 * Lookups are remembered for `cacheMs` (unknown keys for `missMs`, so a flood of wrong keys does
 * not become a flood of database reads); a revoked key is forgotten on every replica as soon as
 * its event arrives, and `cacheMs` bounds how long a replica that missed the event may still
 * accept it.
 */
export function createAuthenticator({
  verifier,
  gatewaySecret,
  lookup,
  cacheMs = 30_000,
  missMs = 5_000,
}: {
  verifier: TokenVerifier;
  gatewaySecret: string;
  lookup: KeyLookup;
  cacheMs?: number;
  missMs?: number;
}): Authenticator {
  const known = new LRUCache<string, { principal: Principal | null }>({ max: 10_000 });
  const pending = new Map<string, Promise<Principal | null>>();
  // Revoked while a lookup may have been in flight: never accepted from the cache again.
  const revoked = new LRUCache<string, true>({ max: 10_000, ttl: cacheMs * 2 });
  const digestById = new LRUCache<string, string>({ max: 10_000 });

  const load = async (digest: string): Promise<Principal | null> => {
    const record = await lookup(digest);
    const expiresAt = record?.expiresAt ? Date.parse(record.expiresAt) : Infinity;
    if (!record || expiresAt <= Date.now()) {
      known.set(digest, { principal: null }, { ttl: missMs });
      return null;
    }
    const identity: Identity = Object.freeze({
      customerId: record.customerId,
      roles: [],
      isAdmin: false,
      apiKeyId: record.id,
      scopes: Object.freeze([...record.scopes]),
    });
    const principal = { identity, authorization: `Bearer ${await signAssertion(gatewaySecret, identity)}` };
    // Never past the key's expiry, nor the assertion's reuse: a later request signs anew.
    known.set(
      digest,
      { principal },
      { ttl: Math.max(1, Math.min(cacheMs, ASSERTION_REUSE_MS, expiresAt - Date.now())) },
    );
    digestById.set(record.id, digest);
    return principal;
  };

  const byKey = async (key: string): Promise<Principal> => {
    if (!isApiKey(key)) throw invalidKey();
    const digest = digestApiKey(key);
    let principal = known.get(digest)?.principal;
    if (principal === undefined) {
      let inFlight = pending.get(digest);
      if (!inFlight) {
        inFlight = load(digest).finally(() => pending.delete(digest));
        pending.set(digest, inFlight);
      }
      principal = await inFlight;
    }
    if (!principal || revoked.has(principal.identity.apiKeyId!)) throw invalidKey();
    return principal;
  };

  return {
    async authenticate({ authorization, apiKey }) {
      if (apiKey !== undefined && apiKey !== '') {
        if (authorization) throw unauthenticated('Send either a bearer token or an API key, not both');
        return byKey(apiKey);
      }
      return { identity: await verifier.verify(authorization), authorization: authorization ?? '' };
    },
    forget(apiKeyId) {
      revoked.set(apiKeyId, true);
      const digest = digestById.get(apiKeyId);
      digestById.delete(apiKeyId);
      if (digest) known.delete(digest);
    },
  };
}

const PRINCIPAL_QUERY =
  'query ApiKeyPrincipal($digest: String!) { _apiKeyPrincipal(digest: $digest) { id customerId scopes expiresAt } }';

/**
 * Looks keys up in the order service's subgraph (a field only the gateway may ask for, outside the
 * public schema), through `fetch` — the same signed, load-balanced, circuit-broken client the
 * gateway uses for that subgraph — as the gateway itself.
 */
export function orderServiceKeyLookup({
  fetch,
  url,
  gatewaySecret,
}: {
  fetch: typeof globalThis.fetch;
  url: string;
  gatewaySecret: string;
}): KeyLookup {
  const self: Identity = Object.freeze({ customerId: 'gateway', roles: [], isAdmin: false, service: 'gateway' });
  let assertion: { token: string; until: number } | undefined;
  const authorization = async () => {
    if (!assertion || assertion.until <= Date.now())
      assertion = {
        token: `Bearer ${await signAssertion(gatewaySecret, self)}`,
        until: Date.now() + ASSERTION_REUSE_MS,
      };
    return assertion.token;
  };
  return async (digest) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await authorization() },
      body: JSON.stringify({ query: PRINCIPAL_QUERY, variables: { digest } }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      data?: { _apiKeyPrincipal: KeyRecord | null };
      errors?: { message: string }[];
    };
    if (!body.data)
      throw new Error(`API key lookup failed: HTTP ${response.status} ${body.errors?.[0]?.message ?? ''}`.trim());
    return body.data._apiKeyPrincipal;
  };
}
