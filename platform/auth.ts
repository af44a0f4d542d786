import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
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
 */
export function createHs256Verifier(secret: string): TokenVerifier {
  const key = encoder.encode(secret);
  return {
    async verify(authorization) {
      const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
      if (!match) throw unauthenticated();
      try {
        const { payload } = await jwtVerify(match[1]!, key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('The token has no subject');
        const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
        return { customerId: payload.sub, roles, isAdmin: roles.includes('admin') };
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
