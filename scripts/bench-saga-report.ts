import { availableParallelism } from 'node:os';
import type autocannon from 'autocannon';
import { percentile, type RunCost, type RunningSystem } from '../harness/index.ts';
import type { ConsumerStats, RelayStats } from '../messaging/index.ts';

/** What `npm run bench:saga` prints about one run: how fast its sagas completed and what they cost. */
const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (n: number) => `${Math.round(n)} ms`;

export type ServiceStats = { consumer: ConsumerStats; relay: RelayStats };
const services = ['order', 'inventory', 'payment'] as const;

/** Each service's consumer and relay counters, from its /stats. */
export async function statsOf(system: RunningSystem): Promise<Record<(typeof services)[number], ServiceStats>> {
  const entries = await Promise.all(
    services.map(
      async (name) =>
        [name, (await fetch(`${system.serviceUrl(name)}/stats`).then((r) => r.json())) as ServiceStats] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<(typeof services)[number], ServiceStats>;
}

/** How the placements went. */
export interface Placement {
  accepted: number;
  refusals: number;
  errors: Map<string, number>;
}

export type ServiceCounters = Awaited<ReturnType<typeof statsOf>>;

export interface RunRecord {
  runId: string;
  mode: 'burst' | 'steady' | 'idle' | 'mixed';
  /** What load was offered, in words. */
  offered: string;
  placement: Placement;
  placedMs: number;
  finishedMs: number;
  /** Final orders the wait saw, the warm-up's included. */
  finalCount: number;
  /** CPU ms per second of each process before the run, idle. */
  idle: string[];
  cost: RunCost;
  counters: { before: ServiceCounters; after: ServiceCounters };
  reads: autocannon.Result | undefined;
  pgbenchTps: number;
}

export async function printRun(
  system: RunningSystem,
  {
    runId,
    mode,
    offered,
    placement: stats,
    placedMs,
    finishedMs,
    finalCount,
    idle,
    cost,
    counters,
    reads,
    pgbenchTps,
  }: RunRecord,
): Promise<void> {
  const { before: statsBefore, after: statsAfter } = counters;
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
  out(offered);
  out(
    `placement        ${stats.accepted} accepted in ${(placedMs / 1000).toFixed(1)} s (${(stats.accepted / (placedMs / 1000)).toFixed(1)}/s); refusals SERVICE_UNAVAILABLE ${stats.refusals}; errors ${JSON.stringify(Object.fromEntries(stats.errors))}`,
  );
  out(
    `completion       ${final.length} final (${finalCount - 1} seen) in ${(finishedMs / 1000).toFixed(1)} s: ${completionRate.toFixed(1)} sagas/s from first acceptance to last final`,
  );
  out(
    `placement → COMPLETED  p50 ${ms(percentile(latencies, 50))}  p90 ${ms(percentile(latencies, 90))}  p99 ${ms(percentile(latencies, 99))}  max ${ms(latencies.at(-1) ?? NaN)}`,
  );
  out(
    `final statuses   ${JSON.stringify(Object.fromEntries(byStatus))}; failed paid orders: ${byStatus.get('FAILED') ?? 0}`,
  );
  out(
    `commits          ${cost.commits} in the run: ${(cost.commits / sagas).toFixed(1)} per saga (every transaction on the database, polling included)`,
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
  const cpu = cost.processes.map((p) => ({ name: p.name, ms: (p.cpuSeconds * 1000) / sagas }));
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
  const infra = Object.entries(cost.infrastructure).map(([k, s]) => `${k} ${((s * 1000) / sagas).toFixed(1)} ms`);
  out(`                 idle before the run, CPU ms per second: ${idle.join(', ')}`);
  out(`                 infrastructure: ${infra.join(', ')} (processes alive at both ends of the run)`);
  out(
    `machine          ${(cost.machineBusy * 100).toFixed(0)}% of ${availableParallelism()} cores busy during the run`,
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
