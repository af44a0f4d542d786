import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { print } from 'graphql';
import { Kafka, logLevel } from 'kafkajs';
import { OrdersDocument } from '../client/generated/graphql.ts';
import { type Client, GraphQLClientError, placeWithRetry } from '../client/index.ts';
import { demoCatalog, infraEnv, type RunningSystem, startSystem } from '../harness/index.ts';
import type { ConsumerStats, RelayStats } from '../messaging/index.ts';
import { finalOrderStatuses } from '../messaging/index.ts';
import { startKafka, stopKafka } from './kafka.ts';

/**
 * `npm run bench:saga [-- --mode burst|steady|idle|mixed]`: a benchmark, not a test. It starts the
 * gateway and the three services as separate processes on real Kafka, PostgreSQL and Redis (a fresh
 * database and topic prefix), places `tok_visa` orders for stocked products and prints how fast
 * their sagas complete, what they cost (commits and CPU milliseconds per saga, per process), and —
 * in the same run, on the same database server — what pgbench does with one saga step, as the
 * reference the pipeline is measured against.
 *
 * - burst (default): N orders (1,000) at concurrency C (32);
 * - steady: a fixed offered rate (50/s) for D seconds (30), latency percentiles;
 * - idle: one saga at a time on an otherwise idle system (20 sagas);
 * - mixed: a steady rate (10/s) while autocannon saturates the gateway with order-page reads.
 */
const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'burst' },
    orders: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    rate: { type: 'string' },
    duration: { type: 'string', default: '30' },
    readers: { type: 'string', default: '20' },
    'pgbench-seconds': { type: 'string', default: '10' },
    /** Write a V8 CPU profile of every process to this folder (open in Chrome DevTools). */
    profile: { type: 'string' },
  },
});
const mode = values.mode as 'burst' | 'steady' | 'idle' | 'mixed';
if (!['burst', 'steady', 'idle', 'mixed'].includes(mode)) throw new Error(`unknown --mode ${mode}`);
const ORDERS = Number(values.orders);
const CONCURRENCY = Number(values.concurrency);
const RATE = Number(values.rate ?? (mode === 'mixed' ? 10 : 50));
const DURATION_S = Number(values.duration);
const FINAL_STATUSES = `(${finalOrderStatuses.map((s) => `'${s}'`).join(',')})`;

/** Sixteen customers stand in for thousands: their per-customer caps and rate limits are lifted. */
const UNCAPPED = {
  ORDER_MAX_OPEN_PER_CUSTOMER: '1000000',
  ORDER_MAX_OPEN_UNITS_PER_CUSTOMER: '100000000',
  RATE_LIMIT_PER_CUSTOMER_PER_MINUTE: '100000000',
  RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE: '100000000',
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line = '') => process.stdout.write(`${line}\n`);
const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (n: number) => `${Math.round(n)} ms`;

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - n[4]!, total }; // idle, iowait
}

/** CPU seconds of every process whose command line matches, for the infrastructure's share. */
function cpuOf(pattern: string): number {
  const pids = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuSeconds(pid);
    } catch {
      return sum; // gone meanwhile
    }
  }, 0);
}

async function commits(system: RunningSystem): Promise<number> {
  const [row] = await system.sql<{ n: string }>(
    `select xact_commit::text as n from pg_stat_database where datname = current_database()`,
  );
  return Number(row!.n);
}

/** pgbench on the system's own database server: one saga step's transaction, as the services write it. */
function pgbenchStep(databaseUrl: string, seconds: number): number {
  const url = new URL(databaseUrl);
  const db = url.pathname.slice(1);
  const setup = `
    create schema if not exists pgbench_saga;
    create table if not exists pgbench_saga.inbox (consumer text, message_id uuid, type text, handled_at timestamptz default now(), primary key (consumer, message_id));
    create table if not exists pgbench_saga.instances (id int primary key, version int not null, steps jsonb not null, updated_at timestamptz);
    create table if not exists pgbench_saga.outbox (id bigserial primary key, message_id uuid unique, topic text, key text, type text, envelope jsonb, created_at timestamptz default now(), published_at timestamptz);
    insert into pgbench_saga.instances select g, 1, '[]', now() from generate_series(1, 10000) g on conflict do nothing;`;
  const psql = spawnSync(
    'psql',
    ['-q', '-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', '-d', db, '-c', setup],
    { encoding: 'utf8' },
  );
  if (psql.status !== 0) throw new Error(`pgbench setup failed: ${psql.stderr}`);
  const script = path.join(tmpdir(), `sagaway-step-${process.pid}.sql`);
  writeFileSync(
    script,
    `\\set id random(1, 10000)
BEGIN;
INSERT INTO pgbench_saga.inbox (consumer, message_id, type) VALUES ('order', gen_random_uuid(), 'SagaStepReplied');
UPDATE pgbench_saga.instances SET version = version + 1, steps = '[{"name":"reserveInventory","status":"SUCCEEDED"}]', updated_at = now() WHERE id = :id;
INSERT INTO pgbench_saga.outbox (message_id, topic, key, type, envelope) VALUES (gen_random_uuid(), 'payment.commands', 'k', 'ChargePayment', '{"payload":{}}');
COMMIT;
`,
  );
  const run = spawnSync(
    'pgbench',
    [
      '-n',
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      url.username || 'postgres',
      '-c',
      '8',
      '-j',
      '2',
      '-T',
      String(seconds),
      '-f',
      script,
      db,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  const tps = /tps = ([\d.]+)/.exec(run.stdout);
  if (!tps) throw new Error(`pgbench printed no tps: ${run.stdout}`);
  spawnSync(
    'psql',
    ['-q', '-h', url.hostname, '-U', url.username || 'postgres', '-d', db, '-c', 'drop schema pgbench_saga cascade'],
    { encoding: 'utf8' },
  );
  return Number(tps[1]);
}

type ServiceStats = { consumer: ConsumerStats; relay: RelayStats };
const services = ['order', 'inventory', 'payment'] as const;

/** Each service's consumer and relay counters, from its /stats. */
async function statsOf(system: RunningSystem): Promise<Record<(typeof services)[number], ServiceStats>> {
  const entries = await Promise.all(
    services.map(
      async (name) =>
        [name, (await fetch(`${system.serviceUrl(name)}/stats`).then((r) => r.json())) as ServiceStats] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<(typeof services)[number], ServiceStats>;
}

interface Placement {
  accepted: number;
  refusals: number;
  errors: Map<string, number>;
}

/** Places one order; SERVICE_UNAVAILABLE is retried as the SDK's helper does, and counted. */
async function placeOne(client: Client, i: number, stats: Placement, runId: string): Promise<void> {
  const product = demoCatalog[i % demoCatalog.length]!;
  try {
    await placeWithRetry(
      client,
      {
        items: [{ productId: product.id, quantity: 1 }],
        paymentToken: 'tok_visa',
        idempotencyKey: `bench-${runId}-${i}`,
      },
      {
        onRefused: () => void stats.refusals++,
        maxAttempts: 100,
      },
    );
    stats.accepted++;
  } catch (err) {
    const code = err instanceof GraphQLClientError ? err.code : String(err);
    stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
  }
}

async function waitUntilFinal(system: RunningSystem, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await system.sql<{ n: number }>(
      `select count(*)::int as n from orders.orders where status in ${FINAL_STATUSES}`,
    );
    if (row!.n >= expected || Date.now() > deadline) return row!.n;
    await sleep(200);
  }
}

/** Every run makes its own topics; a long-lived broker would otherwise carry them all, and slow down. */
async function deleteTopics(prefix: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'bench-cleanup',
    brokers: infraEnv.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const external = process.env.KAFKA_BROKERS !== undefined;
  const startedBroker = external ? false : await startKafka();
  // Production defaults, not the e2e suites' short intervals.
  const system = await startSystem('bench', {
    nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [],
    env: {
      LOG_LEVEL: 'warn',
      KAFKA_PARTITIONS: '6',
      DATABASE_POOL_SIZE: '10',
      OUTBOX_POLL_MS: '250',
      SAGA_SWEEP_MS: '1000',
      SAGA_RETRY_BACKOFF_MS: '500',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      ...UNCAPPED,
    },
  });
  try {
    await run(system);
  } finally {
    await system.stop();
    await deleteTopics(system.topicPrefix).catch((err: unknown) =>
      out(`could not delete the run's topics: ${String(err)}`),
    );
    if (startedBroker) await stopKafka();
  }
}

async function run(system: RunningSystem): Promise<void> {
  const runId = Date.now().toString(36);
  out(
    `bench:saga ${mode} on ${availableParallelism()} cores, every process on this machine; database ${new URL(system.databaseUrl).pathname.slice(1)}`,
  );
  const pgbenchTps = pgbenchStep(system.databaseUrl, Number(values['pgbench-seconds']));

  const admin = await system.client('bench-admin', { admin: true });
  const customers = await Promise.all(Array.from({ length: 16 }, (_, i) => system.client(`bench-customer-${i}`)));
  const expected = mode === 'burst' ? ORDERS : mode === 'idle' ? 20 : Math.round(RATE * DURATION_S);
  for (const p of demoCatalog) await admin.restockProduct(p.id, Math.min(10_000, expected));
  // Warm up: one saga through every process, so connection set-up is not measured.
  await placeOne(customers[0]!, 0, { accepted: 0, refusals: 0, errors: new Map() }, `${runId}-warm`);
  await waitUntilFinal(system, 1, 30_000);

  const processes = system.processes();
  // What the system burns doing nothing (polling, heartbeats), the floor under every figure below.
  const idleBefore = processes.map((p) => cpuSeconds(p.pid));
  await sleep(5000);
  const idle = processes.map((p, i) => `${p.name} ${(((cpuSeconds(p.pid) - idleBefore[i]!) * 1000) / 5).toFixed(0)}`);
  const cpuBefore = processes.map((p) => cpuSeconds(p.pid));
  const machineBefore = machineTicks();
  const infraBefore = { postgres: cpuOf('postgres'), kafka: cpuOf('kafka.Kafka'), redis: cpuOf('redis-server') };
  const commitsBefore = await commits(system);
  const statsBefore = await statsOf(system);
  const stats: Placement = { accepted: 0, refusals: 0, errors: new Map() };
  const started = Date.now();
  let reads: autocannon.Result | undefined;

  if (mode === 'burst') {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let i = next++; i < ORDERS; i = next++)
          await placeOne(customers[worker % customers.length]!, i + 1, stats, runId);
      }),
    );
  } else if (mode === 'idle') {
    for (let i = 0; i < expected; i++) {
      await placeOne(customers[0]!, i + 1, stats, runId);
      await waitUntilFinal(system, i + 2, 30_000);
    }
  } else {
    const readerToken = await system.token('bench-admin', { admin: true });
    const reading =
      mode === 'mixed'
        ? autocannon({
            url: system.gatewayUrl,
            connections: Number(values.readers),
            duration: DURATION_S + 2,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${readerToken}` },
            body: JSON.stringify({ query: print(OrdersDocument), variables: { first: 20 } }),
          })
        : undefined;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < expected; i++) {
      const due = started + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      inFlight.push(placeOne(customers[i % customers.length]!, i + 1, stats, runId));
    }
    await Promise.all(inFlight);
    reads = await reading;
  }
  const placedMs = Date.now() - started;
  const finalCount = await waitUntilFinal(system, stats.accepted + 1, 180_000);
  const finishedMs = Date.now() - started;
  const cpuAfter = processes.map((p) => cpuSeconds(p.pid));
  const machineAfter = machineTicks();
  const infraAfter = { postgres: cpuOf('postgres'), kafka: cpuOf('kafka.Kafka'), redis: cpuOf('redis-server') };
  const commitsAfter = await commits(system);
  const statsAfter = await statsOf(system);

  const rows = await system.sql<{ status: string; latency: number; created: Date; updated: Date }>(
    `select status, extract(epoch from updated_at - created_at) * 1000 as latency, created_at as created, updated_at as updated
       from orders.orders where idempotency_key like 'bench-${runId}-%' and idempotency_key not like '%-warm-%'`,
  );
  const byStatus = new Map<string, number>();
  for (const r of rows) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const completed = rows.filter((r) => r.status === 'COMPLETED');
  const latencies = completed.map((r) => Number(r.latency)).sort((a, b) => a - b);
  const final = rows.filter((r) => r.status !== 'PENDING' && !r.status.endsWith('_CONFIRMED'));
  const firstAccepted = Math.min(...rows.map((r) => new Date(r.created).getTime()));
  const lastFinal = Math.max(...final.map((r) => new Date(r.updated).getTime()));
  const completionRate = final.length / ((lastFinal - firstAccepted) / 1000);
  const sagas = Math.max(1, final.length);

  out();
  if (mode === 'burst') out(`placed ${ORDERS} orders at concurrency ${CONCURRENCY}`);
  else if (mode === 'idle') out(`placed ${expected} orders one at a time, each after the previous one finished`);
  else
    out(
      `offered ${RATE} orders/s for ${DURATION_S} s${mode === 'mixed' ? ` while ${values.readers} connections read order pages` : ''}`,
    );
  out(
    `placement        ${stats.accepted} accepted in ${(placedMs / 1000).toFixed(1)} s (${(stats.accepted / (placedMs / 1000)).toFixed(1)}/s); refusals SERVICE_UNAVAILABLE ${stats.refusals}; errors ${JSON.stringify(Object.fromEntries(stats.errors))}`,
  );
  out(
    `completion       ${final.length} final (${finalCount - 1} seen) in ${(finishedMs / 1000).toFixed(1)} s: ${completionRate.toFixed(1)} sagas/s from first acceptance to last final`,
  );
  out(
    `placement → COMPLETED  p50 ${ms(pct(latencies, 50))}  p90 ${ms(pct(latencies, 90))}  p99 ${ms(pct(latencies, 99))}  max ${ms(latencies.at(-1) ?? NaN)}`,
  );
  out(
    `final statuses   ${JSON.stringify(Object.fromEntries(byStatus))}; failed paid orders: ${byStatus.get('FAILED') ?? 0}`,
  );
  const commitCount = commitsAfter - commitsBefore;
  out(
    `commits          ${commitCount} in the run: ${(commitCount / sagas).toFixed(1)} per saga (every transaction on the database, polling included)`,
  );
  out(
    `messages         ${services
      .map((name) => {
        const d = (k: 'messages' | 'batches' | 'transactions') =>
          statsAfter[name].consumer[k] - statsBefore[name].consumer[k];
        const rounds = statsAfter[name].relay.rounds - statsBefore[name].relay.rounds;
        const published = statsAfter[name].relay.published - statsBefore[name].relay.published;
        return `${name} ${d('messages')} in ${d('batches')} batches, ${d('transactions')} transactions, relay ${published} in ${rounds} rounds`;
      })
      .join('; ')}`,
  );
  const cpu = processes.map((p, i) => ({
    name: `${p.name}${p.replica ? `-${p.replica}` : ''}`,
    ms: ((cpuAfter[i]! - cpuBefore[i]!) * 1000) / sagas,
  }));
  out(
    `CPU per saga     ${cpu.map((c) => `${c.name} ${c.ms.toFixed(1)} ms`).join(', ')}; total ${cpu.reduce((a, c) => a + c.ms, 0).toFixed(1)} ms`,
  );
  const steps = await system.sql<{ step: string; p50: number; p99: number }>(
    `select s->>'name' as step,
            percentile_cont(0.5) within group (order by extract(epoch from (s->>'finishedAt')::timestamptz - (s->>'startedAt')::timestamptz) * 1000) as p50,
            percentile_cont(0.99) within group (order by extract(epoch from (s->>'finishedAt')::timestamptz - (s->>'startedAt')::timestamptz) * 1000) as p99
       from saga.instances i cross join jsonb_array_elements(i.steps) s
      where i.started_at >= to_timestamp(${firstAccepted / 1000}) and s->>'finishedAt' is not null
      group by 1 order by min(s->>'startedAt')`,
  );
  out(`step, sent → reply handled  ${steps.map((r) => `${r.step} p50 ${ms(r.p50)} p99 ${ms(r.p99)}`).join('; ')}`);
  const infra = (Object.keys(infraAfter) as (keyof typeof infraAfter)[]).map(
    (k) => `${k} ${(((infraAfter[k] - infraBefore[k]) * 1000) / sagas).toFixed(1)} ms`,
  );
  out(`                 idle before the run, CPU ms per second: ${idle.join(', ')}`);
  out(`                 infrastructure: ${infra.join(', ')} (processes alive at both ends of the run)`);
  out(
    `machine          ${(((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100).toFixed(0)}% of ${availableParallelism()} cores busy during the run`,
  );
  if (reads)
    out(
      `reads            ${reads.requests.average.toFixed(0)} req/s average, p99 ${reads.latency.p99} ms, ${reads.non2xx} non-2xx, ${reads.errors} errors`,
    );
  const capacity = pgbenchTps / 4;
  out(
    `pgbench          ${pgbenchTps.toFixed(0)} tps of one saga step (inbox insert + versioned update + outbox insert, 8 clients): ~${capacity.toFixed(0)} sagas/s at 4 steps`,
  );
  if (mode === 'burst')
    out(
      `ratio            pipeline at ${((completionRate / capacity) * 100).toFixed(1)}% of the database's saga capacity`,
    );
}

await main();
process.exit(0);
