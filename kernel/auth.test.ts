import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, devPolicy, signDevToken, type TokenPolicy } from './auth.ts';
import { DomainError } from './errors.ts';
import { withTickingClock } from './testing.ts';

const SECRET = 'auth-test-secret-0123456789';
const policy = devPolicy(SECRET);
const secretKey = new TextEncoder().encode(SECRET);

/** The message a verification ends with: the identity's customer, or the refusal. */
const outcome = (verifier: ReturnType<typeof createTokenVerifier>, token: string) =>
  verifier.verify(`Bearer ${token}`).then(
    (identity) => `accepted ${identity.customerId}`,
    (err: unknown) => (err instanceof DomainError ? err.message : String(err)),
  );

/** An HS256 token with exactly the claims given (none added). */
const rawToken = (claims: Record<string, unknown>, key: Uint8Array = secretKey) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
const now = () => Math.floor(Date.now() / 1000);
const valid = () => ({ sub: 'alice', iss: policy.issuer, aud: policy.audience, iat: now(), exp: now() + 600 });

describe('the token verifier', () => {
  it('answers the same identity for a token it verified before', async () => {
    const verifier = createTokenVerifier(policy);
    const token = await signDevToken(policy, 'alice', { admin: true });
    const first = await verifier.verify(`Bearer ${token}`);
    expect(first).toEqual({ customerId: 'alice', roles: ['admin'], isAdmin: true });
    expect(await verifier.verify(`Bearer ${token}`)).toBe(first);
  });

  it('refuses a remembered token once it has expired', async () => {
    const verifier = createTokenVerifier(policy);
    const token = await signDevToken(policy, 'bob', { expiresIn: '60s' });
    expect((await verifier.verify(`Bearer ${token}`)).customerId).toBe('bob');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    try {
      expect(await outcome(verifier, token)).toBe('The token has expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('signs a 24 h token that verifies even when a second ticks while it is signed', async () => {
    const verified = await withTickingClock(async () =>
      outcome(createTokenVerifier(policy), await signDevToken(policy, 'carol')),
    );
    expect(verified).toBe('accepted carol');
  });

  it('never remembers a token signed with another secret', async () => {
    const verifier = createTokenVerifier(policy);
    const forged = await signDevToken(devPolicy('another-secret-0123456789'), 'mallory');
    for (let i = 0; i < 2; i++) expect(await outcome(verifier, forged)).toBe('The token is invalid');
  });

  it('refuses tokens an identity provider would not issue for this API', async () => {
    const verifier = createTokenVerifier(policy);
    const { exp: _exp, ...noExpiry } = valid();
    const { iat: _iat, ...noIssuedAt } = valid();
    expect(await outcome(verifier, await rawToken(valid()))).toBe('accepted alice');
    expect(await outcome(verifier, await rawToken(noExpiry))).toBe('The token has no "exp" claim');
    expect(await outcome(verifier, await rawToken(noIssuedAt))).toBe('The token has no "iat" claim');
    expect(await outcome(verifier, await rawToken({ ...valid(), exp: now() + 100 * 365 * 86_400 }))).toMatch(
      /lives longer than 86400 s/,
    );
    expect(await outcome(verifier, await rawToken({ ...valid(), iss: 'https://elsewhere.example' }))).toBe(
      'The token was not issued for this API',
    );
    expect(await outcome(verifier, await rawToken({ ...valid(), aud: 'another-api' }))).toBe(
      'The token was not issued for this API',
    );
    // alg "none": an unsigned token.
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(valid())).toString('base64url')}.`;
    expect(await outcome(verifier, unsigned)).toMatch(/algorithm this API does not accept|The token is invalid/);
  });
});

describe('tokens from an identity provider (JWKS)', () => {
  let server: Server;
  let keys: JWK[] = [];
  let fetches = 0;
  let jwksPolicy: TokenPolicy;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksPolicy = {
      jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
      issuer: 'https://idp.example',
      audience: 'sagaway-api',
      maxLifetimeSeconds: 3600,
    };
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // One key pair per key id for the whole file: RSA key generation is most of these tests' time.
  const pairs = new Map<string, ReturnType<typeof makePair>>();
  const makePair = async (alg: 'RS256' | 'ES256', kid: string) => {
    const pair = await generateKeyPair(alg);
    return { ...pair, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
  };
  const keyPair = (alg: 'RS256' | 'ES256', kid: string) => {
    if (!pairs.has(kid)) pairs.set(kid, makePair(alg, kid));
    return pairs.get(kid)!;
  };
  const issue = (privateKey: Parameters<SignJWT['sign']>[0], alg: string, kid: string, sub: string) =>
    new SignJWT({ roles: [] })
      .setProtectedHeader({ alg, kid })
      .setSubject(sub)
      .setIssuer('https://idp.example')
      .setAudience('sagaway-api')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);

  it('verifies RS256 and ES256 tokens with the published keys, and follows a key rotation', async () => {
    const rsa = await keyPair('RS256', 'rsa-1');
    const ec = await keyPair('ES256', 'ec-1');
    keys = [rsa.jwk, ec.jwk];
    // No cooldown between fetches here, so the rotation is seen at once.
    const verifier = createTokenVerifier(jwksPolicy, { jwksCooldownMs: 0 });
    expect(await outcome(verifier, await issue(rsa.privateKey, 'RS256', 'rsa-1', 'carol'))).toBe('accepted carol');
    expect(await outcome(verifier, await issue(ec.privateKey, 'ES256', 'ec-1', 'dave'))).toBe('accepted dave');

    // The provider rotates: a new key is published and signs new tokens; the old one is withdrawn.
    const next = await keyPair('RS256', 'rsa-2');
    keys = [next.jwk];
    const before = fetches;
    expect(await outcome(verifier, await issue(next.privateKey, 'RS256', 'rsa-2', 'erin'))).toBe('accepted erin');
    expect(fetches).toBeGreaterThan(before);
  });

  it('refuses a token signed by a key the provider never published', async () => {
    const stranger = await keyPair('RS256', 'rsa-unknown');
    keys = [(await keyPair('RS256', 'rsa-1')).jwk];
    expect(
      await outcome(createTokenVerifier(jwksPolicy), await issue(stranger.privateKey, 'RS256', 'rsa-1', 'mallory')),
    ).toBe('The token is invalid');
  });

  it('refuses HS256 when only a JWKS is configured, and RS256 when only a secret is', async () => {
    expect(
      await outcome(createTokenVerifier(jwksPolicy), await rawToken({ ...valid(), iss: 'https://idp.example' })),
    ).toBe('The token is signed with an algorithm this API does not accept');
    const rsa = await keyPair('RS256', 'rsa-2');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-3' })
      .setSubject('x')
      .setIssuer(policy.issuer)
      .setAudience(policy.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(rsa.privateKey);
    expect(await outcome(createTokenVerifier(policy), token)).toBe(
      'The token is signed with an algorithm this API does not accept',
    );
  });
});
