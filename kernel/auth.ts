import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { unauthenticated } from './errors.ts';

/** What an API key may do: read its customer's orders and the catalog, or also place and cancel orders. */
export const API_KEY_SCOPES = ['READ', 'PLACE_ORDERS'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Who is calling: the JWT's `sub` and whether its `roles` grant admin rights. A machine client's
 * API key acts for one customer (`customerId`) within its `scopes`; the gateway asserts that to
 * the subgraphs. `service` names the gateway itself when it calls a subgraph on its own behalf.
 */
export interface Identity {
  customerId: string;
  roles: string[];
  isAdmin: boolean;
  apiKeyId?: string;
  /** Absent for people's tokens (no restriction beyond their roles). */
  scopes?: readonly ApiKeyScope[];
  service?: 'gateway';
}

/** Whether the caller may place and cancel orders (an API key needs the PLACE_ORDERS scope). */
export const mayChangeOrders = (identity: Identity): boolean =>
  !identity.scopes || identity.scopes.includes('PLACE_ORDERS');

export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Identity>;
}

/**
 * What a token must satisfy. HS256 tokens are checked with `secret` (development, tests, and
 * deployments that sign their own tokens); RS256/ES256 tokens with the identity provider's keys
 * from `jwksUrl`, fetched again when a token names a key id not seen yet (key rotation).
 */
export interface TokenPolicy {
  secret?: string;
  jwksUrl?: string;
  issuer: string;
  audience: string;
  /** The longest lifetime (`exp` − `iat`) a token may have. */
  maxLifetimeSeconds: number;
}

const encoder = new TextEncoder();
const ASYMMETRIC = ['RS256', 'ES256'];

/** The algorithms a policy accepts: HS256 only with a secret, RS256/ES256 only with a JWKS. */
export const algorithmsOf = (policy: TokenPolicy): string[] => [
  ...(policy.secret ? ['HS256'] : []),
  ...(policy.jwksUrl ? ASYMMETRIC : []),
];

/** Why a token was refused, in words a client can act on. */
function refusal(err: unknown): Error {
  if (err instanceof joseErrors.JWTExpired) return unauthenticated('The token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss' || err.claim === 'aud') return unauthenticated('The token was not issued for this API');
    if (err.reason === 'missing') return unauthenticated(`The token has no "${err.claim}" claim`);
    return unauthenticated('The token is invalid');
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return unauthenticated('The token is signed with an algorithm this API does not accept');
  if (err instanceof joseErrors.JOSEError) return unauthenticated('The token is invalid');
  return err as Error;
}

/**
 * Verifies bearer tokens as an identity provider issues them: signature with an allowed algorithm,
 * the configured issuer and audience, and `sub`, `iat` and `exp` present, with a lifetime no longer
 * than the policy allows.
 *
 * A client sends the same token with every request (and the gateway verifies it again for every
 * subscription event), so a token that verified is remembered — by its exact text, at most
 * `cacheSeconds` and never past its own expiry — and the signature is not checked again.
 */
export function createTokenVerifier(
  policy: TokenPolicy,
  {
    cacheSeconds = 60,
    cacheSize = 10_000,
    jwksCooldownMs = 30_000,
    delegated = false,
  }: {
    cacheSeconds?: number;
    cacheSize?: number;
    /** Least time between two JWKS fetches for unknown key ids. */
    jwksCooldownMs?: number;
    /** The tokens are the gateway's assertions: their `akid`, `scopes` and `svc` claims are believed. */
    delegated?: boolean;
  } = {},
): TokenVerifier {
  const algorithms = algorithmsOf(policy);
  if (algorithms.length === 0) throw new Error('a token policy needs a secret or a JWKS URL');
  const secret = policy.secret ? encoder.encode(policy.secret) : undefined;
  const jwks = policy.jwksUrl
    ? createRemoteJWKSet(new URL(policy.jwksUrl), { cooldownDuration: jwksCooldownMs, cacheMaxAge: 600_000 })
    : undefined;
  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks && header.alg && ASYMMETRIC.includes(header.alg)) return jwks(header, token);
    throw new joseErrors.JOSEAlgNotAllowed(`"${header.alg}" is not accepted`);
  };
  // The identity and the token's expiry (ms): the cache's own timer is monotonic, the expiry is
  // checked against the wall clock as jose checks it.
  const verified = new LRUCache<string, { identity: Identity; expiresAt: number }>({ max: cacheSize });
  return {
    async verify(authorization) {
      const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
      if (!match) throw unauthenticated();
      const token = match[1]!;
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.identity;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms,
          issuer: policy.issuer,
          audience: policy.audience,
          requiredClaims: ['sub', 'iat', 'exp'],
        });
        if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('The token has no subject');
        if (
          payload.exp! - payload.iat! > policy.maxLifetimeSeconds ||
          payload.exp! - Date.now() / 1000 > policy.maxLifetimeSeconds
        ) {
          throw unauthenticated(
            `The token lives longer than ${policy.maxLifetimeSeconds} s; ask for a shorter-lived one`,
          );
        }
        const roles = Array.isArray(payload.roles)
          ? payload.roles.filter((r): r is string => typeof r === 'string')
          : [];
        const identity: Identity = Object.freeze({
          customerId: payload.sub,
          roles,
          isAdmin: roles.includes('admin'),
          ...(delegated ? delegation(payload) : {}),
        });
        const ttl = Math.min(cacheSeconds * 1000, payload.exp! * 1000 - Date.now());
        if (ttl > 0) verified.set(token, { identity, expiresAt: payload.exp! * 1000 }, { ttl });
        return identity;
      } catch (err) {
        throw refusal(err);
      }
    },
  };
}

/** What a gateway assertion adds to an identity: the API key, its scopes, or the gateway itself. */
function delegation(payload: Record<string, unknown>): Partial<Identity> {
  const out: { apiKeyId?: string; scopes?: ApiKeyScope[]; service?: 'gateway' } = {};
  if (typeof payload.akid === 'string') out.apiKeyId = payload.akid;
  if (Array.isArray(payload.scopes))
    out.scopes = payload.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly unknown[]).includes(s));
  if (payload.svc === 'gateway') out.service = 'gateway';
  return out;
}

/** The issuer and audience of tokens when nothing else is configured. */
export const DEFAULT_ISSUER = 'sagaway';
export const DEFAULT_AUDIENCE = 'sagaway-api';

/** A development policy around one secret, with the default issuer, audience and a 24 h lifetime. */
export const devPolicy = (secret: string): TokenPolicy => ({
  secret,
  issuer: DEFAULT_ISSUER,
  audience: DEFAULT_AUDIENCE,
  maxLifetimeSeconds: 86_400,
});

/** Signs a development token (HS256) that `policy` accepts. */
export async function signDevToken(
  policy: Pick<TokenPolicy, 'secret' | 'issuer' | 'audience'>,
  customerId: string,
  { admin = false, expiresIn = '24h' }: { admin?: boolean; expiresIn?: string | number } = {},
): Promise<string> {
  if (!policy.secret) throw new Error('development tokens are signed with JWT_SECRET, which is not set');
  return (
    new SignJWT({ roles: admin ? ['admin'] : [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(customerId)
      .setIssuer(policy.issuer)
      .setAudience(policy.audience)
      // The expiry first: jose reads the clock once for each claim, and a second that ticks between
      // the two must shorten the lifetime, never stretch it past the policy's longest.
      .setExpirationTime(expiresIn)
      .setIssuedAt()
      .sign(encoder.encode(policy.secret))
  );
}
