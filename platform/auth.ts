import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import { unauthenticated } from './errors.ts';

/** Who is calling: the JWT's `sub` and whether its `roles` grant admin rights. */
export interface Identity {
  customerId: string;
  roles: string[];
  isAdmin: boolean;
}

export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Identity>;
}

const encoder = new TextEncoder();

/**
 * HS256 verification with JWT_SECRET. The interface leaves room for a JWKS-backed verifier
 * (RS256/ES256) without touching callers.
 *
 * A client sends the same token with every request (and the gateway verifies it again for every
 * subscription event), so a token that verified is remembered — by its exact text, at most
 * `cacheSeconds` and never past its own expiry — and the signature is not checked again.
 */
export function createHs256Verifier(secret: string, { cacheSeconds = 60, cacheSize = 10_000 }: { cacheSeconds?: number; cacheSize?: number } = {}): TokenVerifier {
  const key = encoder.encode(secret);
  const verified = new LRUCache<string, Identity>({ max: cacheSize });
  return {
    async verify(authorization) {
      const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
      if (!match) throw unauthenticated();
      const token = match[1]!;
      const known = verified.get(token);
      if (known) return known;
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('The token has no subject');
        const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
        const identity: Identity = Object.freeze({ customerId: payload.sub, roles, isAdmin: roles.includes('admin') });
        const ttl = Math.min(cacheSeconds * 1000, payload.exp === undefined ? Infinity : payload.exp * 1000 - Date.now());
        if (ttl > 0) verified.set(token, identity, { ttl });
        return identity;
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw unauthenticated('The token has expired');
        if (err instanceof joseErrors.JOSEError) throw unauthenticated('The token is invalid');
        throw err;
      }
    },
  };
}

/** Signs a development token (HS256). */
export async function signDevToken(
  secret: string,
  customerId: string,
  { admin = false, expiresIn = '24h' }: { admin?: boolean; expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ roles: admin ? ['admin'] : [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(customerId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(encoder.encode(secret));
}
