import { afterAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, DEVELOPMENT_JWT_SECRET, loadConfig } from '../kernel/index.ts';
import { serveGatewayAlone } from './testing.ts';

/**
 * The pages the gateway serves itself: the saga console and the playground, from its own files
 * (no CDN), under a content security policy that lets them talk to this gateway only; and the demo
 * tokens they open with, which exist only while tokens are verified with the public development
 * secret.
 */
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

async function gateway(env: Record<string, string> = {}) {
  const started = await serveGatewayAlone(env);
  stops.push(started.close);
  return new URL(started.url).origin;
}

describe('the saga console page', () => {
  it('is served with its script, its style and graphql-ws from the gateway, under a strict policy', async () => {
    const origin = await gateway();
    const page = await fetch(`${origin}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(src[1]).toMatch(/^\/console\//);
      expect((await fetch(`${origin}${src[1]}`)).status).toBe(200);
    }
    expect((await fetch(`${origin}/console/`)).status).toBe(200);
    expect((await fetch(`${origin}/console/package.json`)).status).toBe(404);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      for (const page of ['console', 'playground'])
        expect((await fetch(`${origin}/${page}/${name}`)).status, `/${page}/${name}`).toBe(404);
    // The gateway is still there.
    expect((await fetch(`${origin}/console`)).status).toBe(200);
    expect((await fetch(`${origin}/console/../kernel/config.ts`)).status).toBe(404);
  });

  it('is not served where it is turned off', async () => {
    const origin = await gateway({ GATEWAY_CONSOLE: 'false' });
    expect((await fetch(`${origin}/console`)).status).toBe(404);
    expect((await fetch(`${origin}/console/console.js`)).status).toBe(404);
  });
});

describe('demo tokens', () => {
  it('open the console as the demo admin and the playground as the demo customer, with the development secret', async () => {
    const origin = await gateway({ JWT_SECRET: DEVELOPMENT_JWT_SECRET });
    const verifier = createTokenVerifier(loadConfig({ JWT_SECRET: DEVELOPMENT_JWT_SECRET }).auth);
    const tokenOf = async (path: string) => {
      const res = await fetch(`${origin}${path}`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      return ((await res.json()) as { token: string }).token;
    };
    expect(await verifier.verify(`Bearer ${await tokenOf('/console/demo-token.json')}`)).toMatchObject({
      customerId: 'demo-admin',
      isAdmin: true,
    });
    expect(await verifier.verify(`Bearer ${await tokenOf('/playground/demo-token.json')}`)).toMatchObject({
      customerId: 'demo-customer',
      isAdmin: false,
    });
  });

  it('are never given while the gateway verifies tokens with a secret of its own', async () => {
    const origin = await gateway({ JWT_SECRET: 'a-secret-of-this-deployment-0123456789' });
    expect((await fetch(`${origin}/console/demo-token.json`)).status).toBe(404);
    expect((await fetch(`${origin}/playground/demo-token.json`)).status).toBe(404);
    expect((await fetch(`${origin}/console`)).status).toBe(200);
  });
});
