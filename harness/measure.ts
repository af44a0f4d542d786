import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finalOrderStatuses } from '../messaging/index.ts';
import type { RunningSystem } from './system.ts';

/*
 * What the benchmarks measure with: percentiles, CPU time from /proc, the database's commits, and
 * pgbench on the system's own database server as the reference a pipeline is measured against.
 */

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN for no samples. */
export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
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

/** Transactions the system's database has committed so far. */
async function databaseCommits(system: RunningSystem): Promise<number> {
  const [row] = await system.sql<{ n: string }>(
    `select xact_commit::text as n from pg_stat_database where datname = current_database()`,
  );
  return Number(row!.n);
}

/** pgbench on the system's own database server: one saga step's transaction, as the services write it. */
export function pgbenchStep(databaseUrl: string, seconds: number): number {
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

/** What a stretch of a run cost: CPU per process and of the infrastructure, the machine's busy share, commits. */
export interface RunCost {
  /** CPU seconds of each of the system's processes (`name` or `name-replica`). */
  processes: { name: string; cpuSeconds: number }[];
  /** CPU seconds of the infrastructure's processes. */
  infrastructure: { postgres: number; kafka: number; redis: number };
  /** The share (0..1) of the machine's CPU time that was busy. */
  machineBusy: number;
  /** Transactions committed on the system's database. */
  commits: number;
}

const infrastructureCpu = () => ({
  postgres: cpuOf('postgres'),
  kafka: cpuOf('kafka.Kafka'),
  redis: cpuOf('redis-server'),
});

/** Starts measuring what the system costs; the function returned measures up to its call. */
export async function startMeter(system: RunningSystem): Promise<() => Promise<RunCost>> {
  const processes = system.processes();
  const cpu = processes.map((p) => cpuSeconds(p.pid));
  const machine = machineTicks();
  const infrastructure = infrastructureCpu();
  const commits = await databaseCommits(system);
  return async () => {
    const machineNow = machineTicks();
    const infrastructureNow = infrastructureCpu();
    return {
      processes: processes.map((p, i) => ({
        name: `${p.name}${p.replica ? `-${p.replica}` : ''}`,
        cpuSeconds: cpuSeconds(p.pid) - cpu[i]!,
      })),
      infrastructure: {
        postgres: infrastructureNow.postgres - infrastructure.postgres,
        kafka: infrastructureNow.kafka - infrastructure.kafka,
        redis: infrastructureNow.redis - infrastructure.redis,
      },
      machineBusy: (machineNow.busy - machine.busy) / (machineNow.total - machine.total),
      commits: (await databaseCommits(system)) - commits,
    };
  };
}

/** Resident memory of a process, from /proc, in MB. */
export const rssMegabytes = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

const FINAL = finalOrderStatuses.map((s) => `'${s}'`).join(',');

/** Orders of the system's database in a final status, or not yet. */
export async function orderCounts(system: RunningSystem): Promise<{ final: number; open: number }> {
  const [row] = await system.sql<{ final: number; open: number }>(
    `select count(*) filter (where status in (${FINAL}))::int as final,
            count(*) filter (where status not in (${FINAL}))::int as open from orders.orders`,
  );
  return row!;
}

/**
 * Reads `read` every `intervalMs` until `size` of what it answers moves less than `tolerance`
 * `times` running (memory a runtime hands back over several collections), or `maxReads` is spent;
 * answers the last reading.
 */
export async function untilSteady<T>(
  read: () => Promise<T> | T,
  size: (reading: T) => number[],
  {
    tolerance,
    times = 3,
    intervalMs = 500,
    maxReads = 60,
  }: { tolerance: number; times?: number; intervalMs?: number; maxReads?: number },
): Promise<T> {
  let last = await read();
  for (let steady = 0, reads = 0; steady < times && reads < maxReads; reads++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const next = await read();
    const [before, after] = [size(last), size(next)];
    steady = after.every((v, i) => Math.abs(v - before[i]!) < tolerance) ? steady + 1 : 0;
    last = next;
  }
  return last;
}

/** Environment that lifts the per-customer caps and rate limits: a few customers stand in for many. */
export const UNCAPPED_CUSTOMERS = {
  ORDER_MAX_OPEN_PER_CUSTOMER: '1000000',
  ORDER_MAX_OPEN_UNITS_PER_CUSTOMER: '100000000',
  RATE_LIMIT_PER_CUSTOMER_PER_MINUTE: '100000000',
  RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE: '100000000',
};
