import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RunningSystem, startSystem } from '../harness/index.ts';

/**
 * The playground in headless Chromium (Debian's `chromium`, driven by playwright-core): it must
 * load from the gateway alone, run a mutation over HTTP and show a subscription's events arriving
 * over graphql-ws, with the token from its headers editor.
 */
const artifacts = path.resolve(import.meta.dirname, 'artifacts');
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  system = await startSystem('playground');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('the playground', () => {
  it('places an order and shows its live status events, with no request leaving the gateway', async () => {
    const token = await system.token('alice');
    const origin = new URL(system.gatewayUrl).origin;
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (ws) => requested.push(ws.url()));
    const open = (query: string, variables: object) =>
      page.goto(
        `${system.gatewayUrl}?${new URLSearchParams({ query, variables: JSON.stringify(variables), headers: JSON.stringify({ authorization: `Bearer ${token}` }) })}`,
      );
    // biome-ignore lint/performance/useDomNodeTextContent: what the page shows, as a person reads it
    const result = () => page.locator('.result-window').innerText();

    await open(
      'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status totalAmount } } }',
      {
        input: {
          items: [{ productId: '7a1c0e52-0001-4000-8000-000000000001', quantity: 1 }],
          paymentToken: 'tok_visa',
        },
      },
    );
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(result, { timeout: 20_000 }).toContain('"totalAmount": "54.99"');
    const orderId = /"id": "([0-9a-f-]{36})"/.exec(await result())![1]!;

    await open(
      'subscription Watch($orderId: ID!) { orderStatusChanged(orderId: $orderId) { status version order { id status payment { status } } } }',
      { orderId },
    );
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(result, { timeout: 30_000 }).toContain('"status": "COMPLETED"');
    expect(await result()).toContain('"orderStatusChanged"');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'playground.png') });
    const outside = requested.filter(
      (url) => !url.startsWith(origin) && !url.startsWith(origin.replace(/^http/, 'ws')) && !url.startsWith('data:'),
    );
    expect(outside).toEqual([]);
    expect(requested.some((url) => url.startsWith('ws'))).toBe(true);
  });
});
