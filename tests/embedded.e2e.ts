import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient } from '../client/index.ts';
import { freePort, launchChromium, waitFor } from '../harness/index.ts';

/**
 * `npm start` with no infrastructure variables: the whole system in one process on PGlite, the
 * in-process transport and cache. It must print a token that works, and run sagas to the end.
 */
const root = path.resolve(import.meta.dirname, '..');
let child: ChildProcess;
let dataDir: string;
let output = '';
let client: Client;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'sagaway-embedded-'));
  const ports = {
    GATEWAY_PORT: await freePort(),
    ORDER_PORT: await freePort(),
    INVENTORY_PORT: await freePort(),
    PAYMENT_PORT: await freePort(),
  };
  const started = Date.now();
  // Only what a user's shell would have: none of DATABASE_URL, KAFKA_BROKERS, REDIS_URL.
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    async () => output,
    (o) => /Demo token \(customer "demo-customer"\): (\S+)/.test(o) || child.exitCode !== null,
    { timeoutMs: 60_000, what: 'npm start to print its token' },
  );
  expect(child.exitCode, output).toBeNull();
  const token = /Demo token \(customer "demo-customer"\): (\S+)/.exec(output)![1]!;
  client = createClient({ url: /GraphQL:\s+(\S+)/.exec(output)![1]!, token });
  process.stdout.write(`embedded system printed its token after ${Date.now() - started} ms\n`);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const placeAndFinish = async (paymentToken: string) => {
  const placed = await client.placeOrder({
    items: [{ productId: '7a1c0e52-0008-4000-8000-000000000008', quantity: 1 }],
    paymentToken,
  });
  expect(placed.status).toBe('PENDING');
  return waitFor(
    async () => (await client.order(placed.id))!,
    (o) => o.status === 'COMPLETED' || o.status === 'FAILED',
    { what: `a ${paymentToken} order to finish` },
  );
};

describe('npm start on the embedded defaults', () => {
  it('says it runs on PGlite and the in-process transport and cache', () => {
    expect(output).toMatch(/Database:\s+pglite/);
    expect(output).toMatch(/Messaging:\s+in-process/);
    expect(output).toMatch(/Cache:\s+in-process/);
  });

  it('answers a products query with the printed token, from a catalog of at least 8 products', async () => {
    const page = await client.products({ first: 100 });
    expect(page.edges.length).toBeGreaterThanOrEqual(8);
  });

  it('completes a tok_visa order and fails a tok_chargeDeclined one', async () => {
    const paid = await placeAndFinish('tok_visa');
    expect(paid).toMatchObject({
      status: 'COMPLETED',
      failureReason: null,
      saga: { status: 'COMPLETED' },
      payment: { status: 'APPROVED' },
    });
    const declined = await placeAndFinish('tok_chargeDeclined');
    expect(declined.status).toBe('FAILED');
    expect(declined.saga.status).toBe('COMPENSATED');
    expect(declined.failureReason).toMatch(/declined/i);
  });

  it('opens the playground and the console already signed in, as the demo customer and the demo admin', async () => {
    const graphql = /GraphQL:\s+(\S+)/.exec(output)![1]!;
    expect(output).toMatch(/Console:\s+\S+\/console/);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // The playground: run its default query at once, with no token typed anywhere.
      await page.goto(graphql);
      await page.locator('.graphiql-execute-button').click();
      // biome-ignore lint/performance/useDomNodeTextContent: what the page shows, as a person reads it
      const result = () => page.locator('.result-window').innerText();
      await expect.poll(result, { timeout: 20_000 }).toContain('"products"');
      expect(await result()).not.toContain('UNAUTHENTICATED');

      // The console: signed in as the demo admin, listing the sagas run above.
      await page.goto(new URL('/console', graphql).toString());
      // biome-ignore lint/performance/useDomNodeTextContent: what the page shows, as a person reads it
      await expect.poll(() => page.locator('#who').innerText()).toBe('signed in as demo-admin');
      await expect.poll(() => page.locator('#sagas tbody tr').count()).toBeGreaterThanOrEqual(2);
    } finally {
      await browser.close();
    }
  });
});
