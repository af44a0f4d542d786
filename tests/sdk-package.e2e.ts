import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog, type RunningSystem, startSystem } from '../harness/index.ts';

/**
 * The SDK as another team gets it: `npm pack` of client/, installed into an empty project outside
 * this repository, type-checked there against its declarations, and run there against a real
 * system — placing an order and following it live to COMPLETED.
 */
const root = path.resolve(import.meta.dirname, '..');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let system: RunningSystem;
let project: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), 'sagaway-sdk-'));
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], path.join(root, 'client')));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module' }));
  // From the npm cache `npm ci` filled; Node 20 has no global WebSocket, so the app adds `ws`.
  const ws = JSON.parse(readFileSync(path.join(root, 'node_modules/ws/package.json'), 'utf8')).version;
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed.filename}`, `ws@${ws}`], project);
  system = await startSystem('sdk-package');
}, 240_000);
afterAll(async () => {
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
