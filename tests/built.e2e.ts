import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client/index.ts';
import { demoCatalog, type RunningSystem, startSystem, waitFor } from '../harness/index.ts';
import { build } from '../scripts/build.ts';

/**
 * The production build (`npm run build`, what the Docker image runs): every service compiled to
 * `dist/` and started with plain `node`, no TypeScript loader, on real Kafka, PostgreSQL and Redis.
 * Proves the build carries what the programs read beside their code (schemas, migrations, the
 * playground) and that a saga runs end to end on it.
 */
let system: RunningSystem;
let alice: Client;

beforeAll(async () => {
  await build();
  system = await startSystem('built', { built: true });
  alice = await system.client('alice');
}, 180_000);
afterAll(async () => {
  await system?.stop();
});

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe('the built services', () => {
  it('run from dist/ without a TypeScript loader', () => {
    const processes = system.processes();
    expect(processes.map((p) => p.name).sort()).toEqual(['gateway', 'inventory', 'order', 'payment']);
    for (const { pid } of processes) {
      const args = commandLine(pid);
      expect(args.some((a) => /^dist\/.+\.js$/.test(a))).toBe(true);
      expect(args).not.toContain('tsx');
    }
  });

  it('migrated their databases and run an order saga to COMPLETED', async () => {
    const productId = demoCatalog[0]!.id;
    const { id } = await alice.placeOrder({ items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' });
    const order = await waitFor(
      async () => (await alice.order(id))!,
      (o) => o.status === 'COMPLETED' || o.status === 'FAILED',
      { what: `order ${id} to finish` },
    );
    expect(order.status).toBe('COMPLETED');
    expect(order.payment?.status).toBe('APPROVED');
  });

  it('serve the playground from the copied assets', async () => {
    const page = await fetch(`${system.gatewayUrl}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('playground.js');
    const script = await fetch(new URL('/playground/playground.js', system.gatewayUrl));
    expect(script.status).toBe(200);
  });
});
