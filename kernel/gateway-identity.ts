import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { createTokenVerifier, type Identity, type TokenVerifier } from './auth.ts';
import { signedMaterial } from './gateway-signature.ts';

/** Checks that a request came from the gateway (signed as gateway-signature.ts says); answers why not, or undefined when it did. */
export function gatewayRequestVerifier(secret: string, { windowMs = 30_000 }: { windowMs?: number } = {}) {
  const seen = new LRUCache<string, true>({ max: 100_000, ttl: 2 * windowMs });
  return (header: string | undefined, body: string, authorization: string, now = Date.now()): string | undefined => {
    const match = /^t=(\d{10,16}),n=([\w-]{16}),v1=([\w-]{43})$/.exec(header ?? '');
    if (!match) return 'This service answers the gateway only';
    const [, t, nonce, signature] = match;
    if (Math.abs(now - Number(t)) > windowMs) return 'The gateway signature has expired';
    const expected = createHmac('sha256', secret)
      .update(signedMaterial(t!, nonce!, body, authorization))
      .digest();
    const given = Buffer.from(signature!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return 'This service answers the gateway only';
    if (seen.has(signature!)) return 'The gateway signature was already used';
    seen.set(signature!, true);
    return undefined;
  };
}

/**
 * When the gateway itself establishes who calls — an API key it looked up, or the gateway acting
 * on its own behalf — it tells the subgraphs in a short-lived token of its own (an assertion),
 * signed with a key derived from GATEWAY_SECRET, which no client and no identity provider holds.
 * Subgraphs accept it beside the identity provider's tokens; the gateway never accepts one from a
 * client.
 */
const ASSERTION_ISSUER = 'sagaway-gateway';
const ASSERTION_AUDIENCE = 'sagaway-subgraphs';
const ASSERTION_SECONDS = 300;
const assertionKey = (gatewaySecret: string) =>
  createHmac('sha256', gatewaySecret).update('sagaway identity assertion v1').digest('base64url');

/** Signs an assertion of `identity` (its customer, roles, API key and scopes) for the subgraphs. */
export async function signAssertion(gatewaySecret: string, identity: Identity): Promise<string> {
  // One reading of the clock for both claims: a second ticking between two readings would make the
  // assertion live a second longer than the subgraphs accept.
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    roles: identity.roles,
    ...(identity.apiKeyId ? { akid: identity.apiKeyId } : {}),
    ...(identity.scopes ? { scopes: identity.scopes } : {}),
    ...(identity.service ? { svc: identity.service } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.customerId)
    .setIssuer(ASSERTION_ISSUER)
    .setAudience(ASSERTION_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_SECONDS)
    .sign(new TextEncoder().encode(assertionKey(gatewaySecret)));
}

/** How long a signed assertion may be forwarded before the gateway signs a new one. */
export const ASSERTION_REUSE_MS = (ASSERTION_SECONDS / 2) * 1000;

/** A subgraph's verifier: the gateway's assertions, and every token `users` accepts. */
export function acceptingAssertions(users: TokenVerifier, gatewaySecret: string): TokenVerifier {
  const assertions = createTokenVerifier(
    {
      secret: assertionKey(gatewaySecret),
      issuer: ASSERTION_ISSUER,
      audience: ASSERTION_AUDIENCE,
      maxLifetimeSeconds: ASSERTION_SECONDS,
    },
    { delegated: true },
  );
  const issuerOf = (authorization: string | undefined) => {
    try {
      return decodeJwt(/^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '')?.[1] ?? '').iss;
    } catch {
      return undefined;
    }
  };
  // Choosing by the unverified issuer is safe: each verifier checks its own signature.
  return {
    verify: (authorization) =>
      (issuerOf(authorization) === ASSERTION_ISSUER ? assertions : users).verify(authorization),
  };
}
