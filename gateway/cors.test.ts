import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serveGatewayAlone } from './testing.ts';

/**
 * Browser apps of listed origins may call the gateway and open its socket; pages of others may not.
 * The gateway alone: its subgraphs are never reached, what is checked is its HTTP and upgrade layer.
 */
const SHOP = 'http://shop.example.test:8080';
let url: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  const gateway = await serveGatewayAlone({ GATEWAY_CORS_ORIGINS: `${SHOP}, https://admin.example.test` });
  url = gateway.url;
  stop = gateway.close;
});
afterAll(() => stop?.());

const preflight = (origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

/** Opens the socket with this Origin header (or none): the HTTP status of a refused upgrade, or 101. */
const upgrade = (origin?: string) =>
  new Promise<number>((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => {});
  });

describe('cross-origin access', () => {
  it('answers a listed origin’s preflight with the methods and headers a browser app needs', async () => {
    const response = await preflight(SHOP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('lets a listed origin read answers, Retry-After included, and tells other origins nothing', async () => {
    const ask = (origin: string) =>
      fetch(url, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ products(first: 1) { edges { node { id } } } }' }),
      });
    const listed = await ask(SHOP);
    expect(listed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(listed.headers.get('access-control-expose-headers')).toContain('retry-after');
    const other = await ask('http://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight('http://evil.example.test')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('opens the socket for listed origins, the gateway’s own pages and clients without an Origin, and refuses other pages', async () => {
    const own = new URL(url).origin;
    expect(await upgrade(SHOP)).toBe(101);
    expect(await upgrade(own)).toBe(101);
    expect(await upgrade()).toBe(101);
    expect(await upgrade('http://evil.example.test')).toBe(403);
  });
});
