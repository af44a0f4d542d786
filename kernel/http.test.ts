import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, devPolicy, signDevToken } from './auth.ts';
import { clientAddress, mayOperate, scrapeAccess } from './http.ts';

const policy = devPolicy('http-test-secret-0123456789');
const verifier = createTokenVerifier(policy);

describe('who may read /stats', () => {
  it('the machine itself, over loopback, without a token', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
      expect(await mayOperate(address, undefined, verifier)).toBe(true);
  });

  it('from elsewhere, an admin token only', async () => {
    expect(await mayOperate('10.0.0.7', undefined, verifier)).toBe(false);
    expect(await mayOperate('10.0.0.7', `Bearer ${await signDevToken(policy, 'alice')}`, verifier)).toBe(false);
    expect(
      await mayOperate('10.0.0.7', `Bearer ${await signDevToken(policy, 'root', { admin: true })}`, verifier),
    ).toBe(true);
    expect(
      await mayOperate('10.0.0.7', `Bearer ${await signDevToken(policy, 'root', { admin: true })}`, undefined),
    ).toBe(false);
  });
});

describe('the client address behind proxies', () => {
  const request = (peer: string, forwarded?: string) =>
    ({
      socket: { remoteAddress: peer },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as unknown as IncomingMessage;

  it('ignores X-Forwarded-For unless proxies are trusted: a client cannot pick its own address', () => {
    expect(clientAddress(request('203.0.113.9', '1.2.3.4'), 0)).toBe('203.0.113.9');
  });

  it('takes the entry the outermost trusted proxy appended, whatever the client wrote before it', () => {
    // The client forged 1.2.3.4; the load balancer appended the address it saw.
    expect(clientAddress(request('10.0.0.2', '1.2.3.4, 198.51.100.7'), 1)).toBe('198.51.100.7');
    // Two proxies: the edge appended the client, the inner one appended the edge.
    expect(clientAddress(request('10.0.0.3', '1.2.3.4, 198.51.100.7, 10.0.0.2'), 2)).toBe('198.51.100.7');
  });

  it('falls back to the peer when the header is missing', () => {
    expect(clientAddress(request('10.0.0.2'), 1)).toBe('10.0.0.2');
  });
});

describe('who may read /metrics', () => {
  const token = 'm'.repeat(40);
  it('is whoever may operate, and a scraper elsewhere with the metrics token, no one else', async () => {
    const may = scrapeAccess(verifier, token);
    expect(await may('127.0.0.1', undefined)).toBe(true);
    expect(await may('10.0.0.7', `Bearer ${token}`)).toBe(true);
    expect(await may('10.0.0.7', `Bearer ${token}x`)).toBe(false);
    expect(await may('10.0.0.7', undefined)).toBe(false);
    expect(await may('10.0.0.7', `Bearer ${await signDevToken(policy, 'alice')}`)).toBe(false);
    expect(await may('10.0.0.7', `Bearer ${await signDevToken(policy, 'root', { admin: true })}`)).toBe(true);
    // Without a token configured, no bearer secret opens it.
    expect(await scrapeAccess(verifier, undefined)('10.0.0.7', `Bearer ${token}`)).toBe(false);
  });
});
