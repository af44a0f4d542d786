import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  builtEntry,
  cpuSeconds,
  demoCatalog,
  freePort,
  orderCounts,
  type RunningSystem,
  rssMegabytes,
  startMeter,
  startSystem,
  UNCAPPED_CUSTOMERS,
  untilSteady,
  waitFor,
} from '../harness/index.ts';
import { build } from './build.ts';
import { startKafka, stopKafka } from './kafka.ts';

/**
 * `npm run bench:gateway`: a benchmark, not a test. The three subgraphs run as separate processes on
 * real Kafka, PostgreSQL and Redis, with sagaway's gateway and, in the same run, a vanilla
 * @apollo/gateway (scripts/vanilla-gateway.ts) over the same supergraph and subgraph processes.
 * Every program runs built (`npm run build`), as production runs it, the vanilla gateway too
 * (`--source`: through tsx). One customer's 200 finished orders are the data. Each round runs every workload against both
 * gateways in turn (the order alternates), with autocannon: 20 connections for 10 s. It prints req/s
 * and latency per gateway and workload, the ratio, and each gateway's RSS idle and after the runs.
 *
 * Workloads: a page of 20 orders with items, products, payments and sagas, and one order's id and
 * status (going round the 200 orders). Cold: every request carries a variable no other request has
 * (the operation ignores it, a cache cannot), so each one is computed. Warm: the same reads, with
 * one request in 20 placing an order, which a response cache must survive (a new order empties
 * the customer's cached pages).
 */
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    orders: { type: 'string', default: '200' },
    /** A directory for every process's CPU profile (node --cpu-prof). */
    profile: { type: 'string' },
    /** Only the workloads whose name contains this. */
    only: { type: 'string' },
    /** Run every program from its TypeScript source through tsx instead of built (`npm run build`). */
    source: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ORDERS = Number(values.orders);
const root = path.resolve(import.meta.dirname, '..');
const out = (line = '') => process.stdout.write(`${line}\n`);
const product = demoCatalog[0]!;

const PAGE = `query Page { orders(first: 20) { edges { node { id status totalAmount
  items { quantity product { name price available } } payment { status } saga { status } } } } }`;
const ONE = 'query One($id: ID!) { order(id: $id) { id status } }';
const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status } } }`;

/** The vanilla gateway as its own process, once it answers. */
async function startVanilla(system: RunningSystem, secret: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const entry = 'scripts/vanilla-gateway.ts';
  const args = values.source ? ['--import', 'tsx', entry] : [builtEntry(entry)];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      GATEWAY_SECRET: secret,
      ORDER_URL: `${system.serviceUrl('order')}/graphql`,
      INVENTORY_URL: `${system.serviceUrl('inventory')}/graphql`,
      PAYMENT_URL: `${system.serviceUrl('payment')}/graphql`,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(
    () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      }).then(
        (r) => r.ok,
        () => false,
      ),
    (ok) => ok,
    { what: 'the vanilla gateway', timeoutMs: 60_000 },
  );
  return { url, child };
}

interface Gateway {
  name: string;
  url: string;
  pid: number;
}
type Workload = { name: string; requests: (token: string) => autocannon.Request[] };

async function measure(gateway: Gateway, workload: Workload, token: string) {
  const result = await autocannon({
    url: gateway.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: workload.requests(token),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

async function main(): Promise<void> {
  const startedBroker = process.env.KAFKA_BROKERS !== undefined ? false : await startKafka();
  if (!values.source) await build();
  const secret = randomBytes(32).toString('hex');
  const system = await startSystem('bench-gateway', {
    env: {
      GATEWAY_SECRET: secret,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // One customer stands in for many readers.
      ...UNCAPPED_CUSTOMERS,
    },
    nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [],
    built: !values.source,
  });
  let vanilla: ChildProcess | undefined;
  try {
    // Each gateway's RSS once started and answering, before it has served a request.
    const sagawayPid = system.processes().find((p) => p.name === 'gateway')!.pid;
    const sagawayIdle = rssMegabytes(sagawayPid);
    const admin = await system.client('bench-admin', { admin: true });
    await admin.restockProduct(product.id, 1_000_000);
    const customer = await system.client('bench-reader');
    const token = await system.token('bench-reader');
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i += 10) {
      const batch = Array.from({ length: Math.min(10, ORDERS - i) }, () =>
        customer.placeOrder({ items: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_visa' }),
      );
      ids.push(...(await Promise.all(batch)).map((o) => o.id));
    }
    await waitFor(
      () => orderCounts(system),
      ({ final }) => final >= ORDERS,
      { what: `${ORDERS} finished orders`, timeoutMs: 300_000 },
    );
    const started = await startVanilla(system, secret);
    vanilla = started.child;
    const idle = [sagawayIdle, rssMegabytes(vanilla.pid!)];
    const gateways: Gateway[] = [
      { name: 'sagaway', url: system.gatewayUrl, pid: sagawayPid },
      { name: 'vanilla', url: started.url, pid: vanilla.pid! },
    ];
    const post = (body: object, authorization: string): autocannon.Request => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${authorization}` },
      body: JSON.stringify(body),
    });
    // Each request of a workload is its own: a cold one carries a variable no other request has
    // (the operation ignores it; a cache cannot), and reads of one order go round all of them.
    let sent = 0;
    const vary =
      (query: string, variables: (n: number) => object): autocannon.Request['setupRequest'] =>
      (request) => ({ ...request, body: JSON.stringify({ query, variables: variables(sent++) }) });
    const page = (t: string, cold: boolean) =>
      cold ? { ...post({ query: PAGE }, t), setupRequest: vary(PAGE, (n) => ({ cold: n })) } : post({ query: PAGE }, t);
    const one = (t: string, cold: boolean) => ({
      ...post({ query: ONE }, t),
      setupRequest: vary(ONE, (n) => ({ id: ids[n % ids.length], ...(cold ? { cold: n } : {}) })),
    });
    const place = (t: string) =>
      post(
        {
          query: PLACE,
          variables: { input: { items: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_visa' } },
        },
        t,
      );
    const withWrites = (read: autocannon.Request, t: string) => [...Array.from({ length: 19 }, () => read), place(t)];
    const workloads: Workload[] = (
      [
        { name: 'cold: page of 20 orders', requests: (t) => [page(t, true)] },
        { name: 'cold: order(id)', requests: (t) => [one(t, true)] },
        { name: 'warm: page, 5% writes', requests: (t) => withWrites(page(t, false), t) },
        { name: 'warm: order(id), 5% writes', requests: (t) => withWrites(one(t, false), t) },
      ] as Workload[]
    ).filter((w) => !values.only || w.name.includes(values.only));
    out(
      `bench:gateway on ${availableParallelism()} cores, every process on this machine; ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections`,
    );
    type Tally = {
      rps: number[];
      p50: number[];
      p99: number[];
      failures: number;
      requests: number;
      /** CPU seconds: the gateway measured, the subgraph processes, PostgreSQL + Kafka + Redis. */
      cpu: { gateway: number; subgraphs: number; infrastructure: number };
      /** sagaway's response cache over these runs: answers from memory, from Redis, another's computation, computed. */
      cache: { local: number; shared: number; coalesced: number; misses: number };
    };
    type CacheStats = { hitsLocal: number; hitsShared: number; misses: number; coalesced: number };
    const cacheStats = async () =>
      ((await fetch(`${system.serviceUrl('gateway')}/stats`).then((r) => r.json())) as { responseCache: CacheStats })
        .responseCache;
    const results = new Map<string, Tally>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of workloads) {
        const order = round % 2 === 0 ? gateways : [...gateways].reverse();
        for (const gateway of order) {
          const meter = await startMeter(system);
          const gatewayCpu = cpuSeconds(gateway.pid);
          const cacheBefore = await cacheStats();
          const r = await measure(gateway, workload, token);
          const cacheAfter = await cacheStats();
          // The sagas a run started finish before the next run, so that none is charged for another's writes.
          await waitFor(
            () => orderCounts(system),
            ({ open }) => open === 0,
            { what: 'the placed orders to finish', timeoutMs: 300_000 },
          );
          const cost = await meter();
          const key = `${workload.name}|${gateway.name}`;
          const acc = results.get(key) ?? {
            rps: [],
            p50: [],
            p99: [],
            failures: 0,
            requests: 0,
            cpu: { gateway: 0, subgraphs: 0, infrastructure: 0 },
            cache: { local: 0, shared: 0, coalesced: 0, misses: 0 },
          };
          if (gateway.name === 'sagaway') {
            acc.cache.local += cacheAfter.hitsLocal - cacheBefore.hitsLocal;
            acc.cache.shared += cacheAfter.hitsShared - cacheBefore.hitsShared;
            acc.cache.coalesced += cacheAfter.coalesced - cacheBefore.coalesced;
            acc.cache.misses += cacheAfter.misses - cacheBefore.misses;
          }
          acc.requests += r.requests;
          acc.cpu.gateway += cpuSeconds(gateway.pid) - gatewayCpu;
          acc.cpu.subgraphs += cost.processes
            .filter((p) => !p.name.startsWith('gateway'))
            .reduce((sum, p) => sum + p.cpuSeconds, 0);
          acc.cpu.infrastructure +=
            cost.infrastructure.postgres + cost.infrastructure.kafka + cost.infrastructure.redis;
          acc.rps.push(r.rps);
          acc.p50.push(r.p50);
          acc.p99.push(r.p99);
          acc.failures += r.failures;
          results.set(key, acc);
        }
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    out();
    out('workload                  | sagaway req/s  p50  p99 | vanilla req/s  p50  p99 | sagaway/vanilla');
    for (const workload of workloads) {
      const [s, v] = gateways.map((g) => results.get(`${workload.name}|${g.name}`)!);
      const cell = (r: typeof s) =>
        `${mean(r!.rps).toFixed(0).padStart(13)} ${mean(r!.p50).toFixed(0).padStart(4)} ${mean(r!.p99).toFixed(0).padStart(4)}`;
      out(
        `${workload.name.padEnd(25)} |${cell(s)} |${cell(v)} | ${(mean(s!.rps) / mean(v!.rps)).toFixed(2)}×${s!.failures + v!.failures > 0 ? ` (failed responses: sagaway ${s!.failures}, vanilla ${v!.failures})` : ''}`,
      );
    }
    out();
    out('CPU ms per request (the sagas a run started included) | gateway  subgraphs  PostgreSQL+Kafka+Redis');
    for (const workload of workloads) {
      for (const g of gateways) {
        const t = results.get(`${workload.name}|${g.name}`)!;
        const ms = (seconds: number) => ((seconds * 1000) / t.requests).toFixed(2).padStart(9);
        out(
          `${`${workload.name}, ${g.name}`.padEnd(53)} |${ms(t.cpu.gateway)}${ms(t.cpu.subgraphs)}${ms(t.cpu.infrastructure)}`,
        );
      }
    }
    out();
    out("sagaway's response cache       | from memory  from Redis  another's   computed | hit rate  computed");
    for (const workload of workloads) {
      const { local, shared, coalesced, misses } = results.get(`${workload.name}|sagaway`)!.cache;
      const all = Math.max(1, local + shared + misses);
      const cell = (n: number, width: number) => String(n).padStart(width);
      out(
        `${workload.name.padEnd(31)}|${cell(local, 12)}${cell(shared, 12)}${cell(coalesced, 11)}${cell(misses - coalesced, 11)} | ${(((local + shared) / all) * 100).toFixed(1).padStart(7)}%  ${(((misses - coalesced) / all) * 100).toFixed(1).padStart(7)}%`,
      );
    }
    const after = gateways.map((g) => rssMegabytes(g.pid));
    // V8 hands memory back a while after load stops (its memory reducer runs once allocation has
    // been low for several seconds): read again once each RSS has held still for 30 s.
    const settled = await untilSteady(
      () => gateways.map((g) => rssMegabytes(g.pid)),
      (mbs) => mbs,
      { tolerance: 1, times: 30, intervalMs: 1000, maxReads: 180 },
    );
    out();
    out(`RSS idle (started, unused)   sagaway ${idle[0]!.toFixed(0)} MB, vanilla ${idle[1]!.toFixed(0)} MB`);
    out(`RSS after the runs           sagaway ${after[0]!.toFixed(0)} MB, vanilla ${after[1]!.toFixed(0)} MB`);
    out(`RSS once it holds still 30 s sagaway ${settled[0]!.toFixed(0)} MB, vanilla ${settled[1]!.toFixed(0)} MB`);
  } finally {
    vanilla?.kill('SIGTERM');
    await system.stop();
    if (startedBroker) await stopKafka();
  }
}

await main();
process.exit(0);
