import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitState } from 'cockatiel';
import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, GATEWAY_SIGNATURE_HEADER, gatewayRequestVerifier } from '../kernel/index.ts';
import { subgraphFetcher } from './resilience.ts';

/** A stand-in subgraph on a real socket: each request is answered by the next behaviour in line. */
type Behaviour = 'ok' | 'reset' | '503';
const servers: Server[] = [];
async function subgraph(
  behaviours: Behaviour[],
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    const behaviour = behaviours[Math.min(requests++, behaviours.length - 1)]!;
    if (behaviour === 'reset') return req.socket.destroy();
    res.writeHead(behaviour === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { ok: true } }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port nothing listens on. */
async function deadUrl(): Promise<string> {
  const s = await subgraph(['ok']);
  await s.close();
  return s.url;
}

const read = { method: 'POST', body: JSON.stringify({ query: 'query { _entities { __typename } }' }) };
const write = { method: 'POST', body: JSON.stringify({ query: 'mutation { placeOrder { id } }' }) };
const GATEWAY_SECRET = 'resilience-test-gateway-secret-0123456789';
const options = {
  name: 'order',
  timeoutMs: 2000,
  breaker: { failures: 3, halfOpenMs: 300 },
  logger: createLogger('silent'),
  gatewaySecret: GATEWAY_SECRET,
};
const codeOf = (err: unknown) => (err instanceof GraphQLError ? err.extensions.code : String(err));

describe('calling a subgraph', () => {
  it('signs every request, body and bearer token, so that the subgraph knows it is the gateway', async () => {
    const verdicts: (string | undefined)[] = [];
    const verify = gatewayRequestVerifier(GATEWAY_SECRET);
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        verdicts.push(
          verify(req.headers[GATEWAY_SIGNATURE_HEADER] as string | undefined, body, req.headers.authorization ?? ''),
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":{}}');
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { fetch } = subgraphFetcher({
      ...options,
      urls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`],
    });
    await fetch('', { ...read, headers: { authorization: 'Bearer t' } });
    await fetch('', read);
    expect(verdicts).toEqual([undefined, undefined]);
  });

  it('answers SERVICE_UNAVAILABLE with a retry delay when no replica takes the connection', async () => {
    const { fetch } = subgraphFetcher({ ...options, urls: [await deadUrl()] });
    const err = await fetch('', write).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('SERVICE_UNAVAILABLE');
    expect((err as GraphQLError).extensions.retryAfterMs).toBeGreaterThan(0);
  });

  it('fails over to the next replica when one refuses the connection, even for a mutation', async () => {
    const live = await subgraph(['ok']);
    const { fetch } = subgraphFetcher({ ...options, urls: [await deadUrl(), live.url] });
    expect((await fetch('', write)).status).toBe(200);
    expect(live.requests()).toBe(1);
  });

  it('tries a read again after a reset connection, but never a mutation', async () => {
    const flaky = await subgraph(['reset', 'ok']);
    const { fetch } = subgraphFetcher({ ...options, urls: [flaky.url] });
    expect((await fetch('', read)).status).toBe(200);
    expect(flaky.requests()).toBe(2);

    const again = await subgraph(['reset', 'ok']);
    const writer = subgraphFetcher({ ...options, urls: [again.url] });
    expect(codeOf(await writer.fetch('', write).catch((e: unknown) => e))).toBe('SERVICE_UNAVAILABLE');
    expect(again.requests()).toBe(1);
  });

  it('opens the circuit after failures in a row, fails fast without calling, and closes it when a probe gets through', async () => {
    const down = await subgraph(['503', '503', '503', 'ok']);
    const { fetch, policy } = subgraphFetcher({ ...options, urls: [down.url] });
    for (let i = 0; i < 3; i++)
      expect(codeOf(await fetch('', write).catch((e: unknown) => e))).toBe('SERVICE_UNAVAILABLE');
    expect(policy.state).toBe(CircuitState.Open);
    const failFast = await fetch('', write).catch((e: unknown) => e);
    expect(codeOf(failFast)).toBe('SERVICE_UNAVAILABLE');
    expect((failFast as GraphQLError).extensions.retryAfterMs).toBe(300);
    expect(down.requests()).toBe(3);

    // The breaker lets the first call after the half-open delay through as a probe.
    await new Promise((r) => setTimeout(r, 350));
    expect((await fetch('', write)).status).toBe(200);
    expect(down.requests()).toBe(4);
    expect(policy.state).toBe(CircuitState.Closed);
  });
});
