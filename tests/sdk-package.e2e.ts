import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog, freePort, launchChromium, type RunningSystem, startSystem } from '../harness/index.ts';

/**
 * The SDK as another team gets it: `npm pack` of client/, installed into an empty project outside
 * this repository, type-checked there against its declarations, and run there against a real
 * system — placing an order and following it live to COMPLETED; and bundled into a web page served
 * from another origin, in Chromium, where the gateway's CORS allowlist decides.
 */
const root = path.resolve(import.meta.dirname, '..');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let system: RunningSystem;
let project: string;
let packed: { filename: string; files: { path: string }[] };
/** The shop's web page: another origin than the gateway's, and the only one its allowlist names. */
let shop: Server;
let shopPort: number;
let browser: Browser;

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), 'sagaway-sdk-'));
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], path.join(root, 'client')));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module' }));
  // From the npm cache `npm ci` filled; Node 20 has no global WebSocket, so the app adds `ws`.
  const ws = JSON.parse(readFileSync(path.join(root, 'node_modules/ws/package.json'), 'utf8')).version;
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed.filename}`, `ws@${ws}`], project);
  shopPort = await freePort();
  shop = await serveShop(shopPort);
  system = await startSystem('sdk-package', { env: { GATEWAY_CORS_ORIGINS: `http://127.0.0.1:${shopPort}` } });
  browser = await launchChromium();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  shop?.close();
  await system?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the SDK package', () => {
  it('holds the built client alone: JavaScript and declarations, no TypeScript source and no server code', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/generated/graphql.js', 'package.json']),
    );
    expect(files.filter((f) => f !== 'package.json' && !f.startsWith('dist/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const code = files
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(path.join(project, 'node_modules/@sagaway/client', f), 'utf8'))
      .join('\n');
    expect(code).not.toMatch(/from ['"]\.\.\/(kernel|gateway|subgraphs|runtime|db|messaging)/);
  });

  it('type-checks an app that uses it, from its declarations', () => {
    writeFileSync(
      path.join(project, 'app.ts'),
      `import { createClient, GraphQLClientError, type OrderStatus } from '@sagaway/client';
const client = createClient({ url: 'http://127.0.0.1:4000/graphql', token: 't' });
export async function follow(orderId: string): Promise<OrderStatus[]> {
  const seen: OrderStatus[] = [];
  for await (const event of client.orderStatusChanged(orderId)) seen.push(event.status);
  return seen;
}
export const isRetriable = (err: unknown) => err instanceof GraphQLClientError && err.retriable;
`,
    );
    const tsc = path.join(root, 'node_modules/.bin/tsc');
    const options = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    /** tsc's diagnostics for one file of the app ('' when it compiles). */
    const compile = (file: string) => {
      try {
        run(tsc, [...options, '--target', 'es2022', '--lib', 'es2023,dom', file], project);
        return '';
      } catch (err) {
        return String((err as { stdout?: string }).stdout);
      }
    };
    expect(compile('app.ts')).toBe('');
    // And an app that misuses it fails to compile: the declarations carry the types.
    writeFileSync(
      path.join(project, 'wrong.ts'),
      `import { createClient } from '@sagaway/client';
createClient({ url: 'x' }).placeOrder({ items: 'none' });
`,
    );
    expect(compile('wrong.ts')).toMatch(/wrong\.ts\(2,\d+\): error TS2322/);
  });

  it('places an order from the installed package and follows it live to COMPLETED', async () => {
    writeFileSync(
      path.join(project, 'place.mjs'),
      `import { createClient } from '@sagaway/client';
const [url, token, productId] = process.argv.slice(2);
const client = createClient({ url, token });
const order = await client.placeOrder({ items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' });
const statuses = [];
for await (const event of client.orderStatusChanged(order.id)) statuses.push(event.status);
await client.dispose();
console.log(JSON.stringify({ id: order.id, statuses }));
`,
    );
    const token = await system.token('sdk-user');
    const out = run('node', ['place.mjs', system.gatewayUrl, token, demoCatalog[0]!.id], project);
    const { statuses } = JSON.parse(out) as { statuses: string[] };
    expect(statuses.at(-1)).toBe('COMPLETED');
  });
});

/**
 * Bundles a page script that uses the installed package (esbuild, for browsers: the platform's
 * fetch and WebSocket) and serves it with its page on `port`.
 */
async function serveShop(port: number): Promise<Server> {
  writeFileSync(
    path.join(project, 'shop.mjs'),
    `import { createClient } from '@sagaway/client';
window.placeAndFollow = async (url, token, productId) => {
  const client = createClient({ url, token });
  const statuses = [];
  try {
    const order = await client.placeOrder({ items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' });
    for await (const event of client.orderStatusChanged(order.id)) statuses.push(event.status);
    return { statuses };
  } catch (err) {
    return { statuses, error: String(err?.message ?? err?.reason ?? err?.type ?? err) };
  } finally {
    await client.dispose();
  }
};
window.follow = async (url, token, orderId) => {
  const client = createClient({ url, token });
  try {
    for await (const event of client.orderStatusChanged(orderId)) return { event };
    return {};
  } catch (err) {
    return { error: \`\${err?.code}: \${err?.message}\` };
  } finally {
    await client.dispose();
  }
};
`,
  );
  run(
    path.join(root, 'node_modules/.bin/esbuild'),
    ['shop.mjs', '--bundle', '--format=esm', '--platform=browser', '--outfile=shop.js'],
    project,
  );
  const script = readFileSync(path.join(project, 'shop.js'));
  const server = createServer((req, res) => {
    if (req.url === '/shop.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script type="module" src="/shop.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('the SDK package in a browser', () => {
  /**
   * Opens the shop's page at `origin` and calls one of its functions (`placeAndFollow`, `follow`)
   * with the gateway's URL, `customer`'s token and `argument`; answers what it returned.
   */
  const inShop = async <T>(origin: string, call: string, customer: string, argument: string): Promise<T> => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction((name) => name in globalThis, call);
      const args = [call, system.gatewayUrl, await system.token(customer), argument];
      return await page.evaluate(
        ([name, ...rest]) =>
          (globalThis as unknown as Record<string, (...a: string[]) => Promise<T>>)[name!]!(...(rest as string[])),
        args,
      );
    } finally {
      await page.close();
    }
  };
  const placeFrom = (origin: string, customer: string) =>
    inShop<{ statuses: string[]; error?: string }>(origin, 'placeAndFollow', customer, demoCatalog[0]!.id);
  const ordersOf = async (customer: string) =>
    (
      await system.sql<{ n: number }>(`select count(*)::int as n from orders.orders where customer_id = '${customer}'`)
    )[0]!.n;

  it('places an order from a page on an allowed origin and follows it live to COMPLETED', async () => {
    const { statuses, error } = await placeFrom(`http://127.0.0.1:${shopPort}`, 'browser-shopper');
    expect(error).toBeUndefined();
    expect(statuses.at(-1)).toBe('COMPLETED');
    expect(await ordersOf('browser-shopper')).toBe(1);
  });

  it('gets nothing through from a page on an origin the allowlist does not name, and writes nothing', async () => {
    // The same page and port under another host name: another origin to the browser.
    const { statuses, error } = await placeFrom(`http://localhost:${shopPort}`, 'browser-stranger');
    expect(error).toMatch(/fetch/i);
    expect(statuses).toEqual([]);
    expect(await ordersOf('browser-stranger')).toBe(0);
  });

  it('opens no socket from a page on an origin the allowlist does not name', async () => {
    const [order] = await system.sql<{ id: string }>(
      `select id from orders.orders where customer_id = 'browser-shopper' limit 1`,
    );
    const follow = (origin: string) =>
      inShop<{ event?: { status: string }; error?: string }>(origin, 'follow', 'browser-shopper', order!.id);
    // The customer's own finished order: its final status at once from the allowed origin...
    expect(await follow(`http://127.0.0.1:${shopPort}`)).toEqual({
      event: expect.objectContaining({ status: 'COMPLETED' }),
    });
    // ...and no connection at all from another one (the upgrade is refused before any token is read).
    const refused = await follow(`http://localhost:${shopPort}`);
    expect(refused).toEqual({ error: 'INTERNAL_SERVER_ERROR: the subscription connection failed (WebSocket error)' });
  });
});
