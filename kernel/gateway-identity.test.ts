import { describe, expect, it } from 'vitest';
import { createTokenVerifier, devPolicy } from './auth.ts';
import { acceptingAssertions, gatewayRequestVerifier, signAssertion } from './gateway-identity.ts';
import { signGatewayRequest } from './gateway-signature.ts';
import { withTickingClock } from './testing.ts';

const SECRET = 'identity-test-gateway-secret-0123456789';
const BODY = '{"query":"mutation { placeOrder { id } }"}';

describe("the gateway's signature", () => {
  it('is accepted once, for the body and token it was made for, within its window', () => {
    const verify = gatewayRequestVerifier(SECRET, { windowMs: 30_000 });
    const signed = signGatewayRequest(SECRET, BODY, 'Bearer alice');
    expect(verify(signed, BODY, 'Bearer alice')).toBeUndefined();
    expect(verify(signed, BODY, 'Bearer alice')).toBe('The gateway signature was already used');
  });

  it('tells apart two identical requests signed in the same millisecond', () => {
    const verify = gatewayRequestVerifier(SECRET);
    const now = Date.now();
    expect(verify(signGatewayRequest(SECRET, BODY, 'Bearer alice', now), BODY, 'Bearer alice', now)).toBeUndefined();
    expect(verify(signGatewayRequest(SECRET, BODY, 'Bearer alice', now), BODY, 'Bearer alice', now)).toBeUndefined();
  });

  it.each([
    ['no signature', () => undefined, BODY, 'Bearer alice', 'This service answers the gateway only'],
    [
      'a signature made with another secret',
      () => signGatewayRequest('another-secret-0123456789abcdef0', BODY, 'Bearer alice'),
      BODY,
      'Bearer alice',
      'This service answers the gateway only',
    ],
    [
      'another body',
      () => signGatewayRequest(SECRET, BODY, 'Bearer alice'),
      '{"query":"{ orders { id } }"}',
      'Bearer alice',
      'This service answers the gateway only',
    ],
    [
      'another bearer token',
      () => signGatewayRequest(SECRET, BODY, 'Bearer alice'),
      BODY,
      'Bearer mallory',
      'This service answers the gateway only',
    ],
    [
      'an old signature',
      () => signGatewayRequest(SECRET, BODY, 'Bearer alice', Date.now() - 60_000),
      BODY,
      'Bearer alice',
      'The gateway signature has expired',
    ],
  ])('refuses %s', (_what, header, body, authorization, reason) => {
    expect(gatewayRequestVerifier(SECRET)(header(), body, authorization)).toBe(reason);
  });
});

describe("the gateway's identity assertion", () => {
  it('is accepted by a subgraph even when a second ticks while it is signed', async () => {
    const subgraph = acceptingAssertions(createTokenVerifier(devPolicy('users-secret-0123456789')), SECRET);
    const identity = await withTickingClock(async () =>
      subgraph.verify(`Bearer ${await signAssertion(SECRET, { customerId: 'alice', roles: [], isAdmin: false })}`),
    );
    expect(identity).toMatchObject({ customerId: 'alice', isAdmin: false });
  });
});
