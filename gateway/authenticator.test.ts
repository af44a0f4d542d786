import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { acceptingAssertions, createTokenVerifier, devPolicy, signAssertion } from '../kernel/index.ts';
import { createAuthenticator, type KeyRecord } from './api-keys.ts';

/** The gateway's API-key authenticator on its own, with the key store replaced by a function. */
const JWT_SECRET = 'authenticator-test-secret-0123456789';
const GATEWAY_SECRET = 'authenticator-test-gateway-secret-0123456789';
const policy = devPolicy(JWT_SECRET);

describe('the authenticator', () => {
  const verifier = createTokenVerifier(policy);
  const record: KeyRecord = {
    id: '6f1c1a36-93a4-4f57-9a45-6c1d2f5b8e01',
    customerId: 'acme',
    scopes: ['READ'],
    expiresAt: null,
  };
  const key = `sgw_${'k'.repeat(43)}`;

  it('asks once per key while it remembers, forgets a revoked key at once, and never looks up a malformed one', async () => {
    let lookups = 0;
    const auth = createAuthenticator({
      verifier,
      gatewaySecret: GATEWAY_SECRET,
      lookup: async () => {
        lookups++;
        return record;
      },
    });
    const [a, b] = await Promise.all([auth.authenticate({ apiKey: key }), auth.authenticate({ apiKey: key })]);
    await auth.authenticate({ apiKey: key });
    expect(lookups).toBe(1);
    expect(a).toBe(b);
    // Forgotten: even a lookup that still finds it (in flight when the revocation came) is refused.
    auth.forget(record.id);
    await expect(auth.authenticate({ apiKey: key })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lookups).toBe(2);
    await expect(auth.authenticate({ apiKey: 'sgw_short' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lookups).toBe(2);
  });

  it('refuses an expired key, and remembers an unknown one briefly', async () => {
    let lookups = 0;
    const expired = createAuthenticator({
      verifier,
      gatewaySecret: GATEWAY_SECRET,
      lookup: async () => {
        lookups++;
        return { ...record, expiresAt: new Date(Date.now() - 1000).toISOString() };
      },
    });
    await expect(expired.authenticate({ apiKey: key })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(expired.authenticate({ apiKey: key })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lookups).toBe(1);
  });

  it('forwards an assertion the subgraphs verify with the key, customer and scopes, which no client can forge', async () => {
    const auth = createAuthenticator({ verifier, gatewaySecret: GATEWAY_SECRET, lookup: async () => record });
    const { authorization } = await auth.authenticate({ apiKey: key });
    const subgraph = acceptingAssertions(verifier, GATEWAY_SECRET);
    expect(await subgraph.verify(authorization)).toMatchObject({
      customerId: 'acme',
      apiKeyId: record.id,
      scopes: ['READ'],
      isAdmin: false,
    });
    // Signed with another secret: refused.
    const forged = await signAssertion('another-gateway-secret-0123456789abcdef', {
      customerId: 'acme',
      roles: ['admin'],
      isAdmin: true,
    });
    await expect(subgraph.verify(`Bearer ${forged}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // A person's token cannot claim to be an API key or the gateway: those claims are not read from it.
    const sneaky = await new SignJWT({ roles: [], akid: record.id, scopes: ['READ'], svc: 'gateway' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acme')
      .setIssuer(policy.issuer)
      .setAudience(policy.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const identity = await subgraph.verify(`Bearer ${sneaky}`);
    expect(identity.apiKeyId).toBeUndefined();
    expect(identity.service).toBeUndefined();
  });
});
