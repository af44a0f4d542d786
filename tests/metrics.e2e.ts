import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client/index.ts';
import { type RunningSystem, startSystem, waitFor } from '../harness/index.ts';

/**
 * Every process serves Prometheus's text format at /metrics. Sagas run through the whole system,
 * then each process is scraped and the counters, gauges and histograms read back.
 */
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';
let system: RunningSystem;
let alice: Client;

beforeAll(async () => {
  system = await startSystem('metrics');
  alice = await system.client('alice');
});
afterAll(async () => {
  await alice?.dispose();
  await system?.stop();
});

/** One scrape: every sample as `name{labels}` → value. */
async function scrape(service: 'gateway' | 'order' | 'inventory' | 'payment'): Promise<Map<string, number>> {
  const res = await fetch(`${system.serviceUrl(service)}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
/** The value of the one sample of `name` whose labels include all of `labels`. */
const sample = (samples: Map<string, number>, name: string, labels: Record<string, string> = {}) => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const found = [...samples].filter(
    ([key]) => (key === name || key.startsWith(`${name}{`)) && wanted.every((l) => key.includes(l)),
  );
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]![1];
};

describe('/metrics', () => {
  it('counts sagas, messages, the outbox and GraphQL requests as the system runs', async () => {
    const placed = await Promise.all(
      ['tok_visa', 'tok_visa', 'tok_chargeDeclined'].map((paymentToken) =>
        alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken }),
      ),
    );
    for (const order of placed)
      await waitFor(
        async () => (await alice.orderStatus(order.id))!.status,
        (s) => s === 'COMPLETED' || s === 'FAILED',
        { what: `order ${order.id} to finish` },
      );
    // A refused request (the caller's mistake), and a read answered twice (the second from the cache).
    await expect(alice.placeOrder({ items: [], paymentToken: 'tok_visa' })).rejects.toThrow();
    await alice.order(placed[0]!.id);
    await alice.order(placed[0]!.id);

    const gateway = await scrape('gateway');
    expect(sample(gateway, 'sagaway_graphql_requests_total', { operation: 'PlaceOrder', outcome: 'ok' })).toBe(3);
    expect(
      sample(gateway, 'sagaway_graphql_requests_total', { operation: 'PlaceOrder', outcome: 'client_error' }),
    ).toBe(1);
    expect(sample(gateway, 'sagaway_graphql_requests_total', { operation: 'Order', outcome: 'ok' })).toBe(2);
    // A histogram: every request in the +Inf bucket, with a sum of seconds.
    expect(
      sample(gateway, 'sagaway_graphql_request_duration_seconds_count', {
        operation: 'PlaceOrder',
        outcome: 'ok',
        service: 'gateway',
      }),
    ).toBe(3);
    expect(
      sample(gateway, 'sagaway_graphql_request_duration_seconds_bucket', {
        operation: 'PlaceOrder',
        outcome: 'ok',
        le: '+Inf',
      }),
    ).toBe(3);
    expect(sample(gateway, 'sagaway_cache_requests_total', { cache: 'gateway_response', result: 'hit_memory' })).toBe(
      1,
    );
    expect(sample(gateway, 'sagaway_subscriptions_open')).toBe(0);
    // Its calls to the subgraphs: every PlaceOrder reached the order service.
    expect(
      sample(gateway, 'sagaway_subgraph_fetch_duration_seconds_count', { subgraph: 'order', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(4);
    expect(sample(gateway, 'sagaway_subgraph_circuit_open', { subgraph: 'order' })).toBe(0);
    expect(sample(gateway, 'sagaway_process_cpu_seconds_total')).toBeGreaterThan(0);

    const order = await scrape('order');
    // Subgraph requests: the gateway's fetches, named by the planner after the client's operation.
    expect(sample(order, 'sagaway_graphql_requests_total', { operation: 'PlaceOrder__order__0', outcome: 'ok' })).toBe(
      3,
    );
    expect(
      sample(order, 'sagaway_graphql_requests_total', {
        operation: 'PlaceOrder__order__0',
        outcome: 'client_error',
      }),
    ).toBe(1);
    await waitFor(
      async () => sample(await scrape('order'), 'sagaway_sagas_open', { saga: 'order', status: 'RUNNING' }),
      (running) => running === 0,
      { what: 'no saga running' },
    );
    expect(sample(order, 'sagaway_sagas_open', { status: 'STUCK' })).toBe(0);
    // Counted once each transition committed: three started, two completed, one compensated.
    const sagas = await scrape('order');
    expect(sample(sagas, 'sagaway_sagas_started_total', { saga: 'order' })).toBe(3);
    expect(sample(sagas, 'sagaway_sagas_finished_total', { outcome: 'completed' })).toBe(2);
    expect(sample(sagas, 'sagaway_sagas_finished_total', { outcome: 'compensated' })).toBe(1);
    expect(sample(sagas, 'sagaway_saga_duration_seconds_count', { outcome: 'completed' })).toBe(2);
    expect(sample(sagas, 'sagaway_saga_duration_seconds_sum', { outcome: 'completed' })).toBeGreaterThan(0);
    // Every order reserved its stock; the declined one's charge failed and its reservation was released.
    expect(
      sample(sagas, 'sagaway_saga_step_duration_seconds_count', {
        step: 'reserveInventory',
        kind: 'action',
        outcome: 'succeeded',
      }),
    ).toBe(3);
    expect(
      sample(sagas, 'sagaway_saga_step_duration_seconds_count', { step: 'chargePayment', outcome: 'failed' }),
    ).toBe(1);
    expect(sample(sagas, 'sagaway_saga_step_attempts_total', { step: 'reserveInventory', kind: 'action' })).toBe(3);
    expect(sample(order, 'sagaway_sagas_past_deadline')).toBe(0);
    // Every saga sent commands and received replies through the outbox and the consumer.
    expect(sample(order, 'sagaway_outbox_published_total')).toBeGreaterThanOrEqual(3 * 3);
    expect(sample(order, 'sagaway_messages_consumed_total')).toBeGreaterThanOrEqual(3 * 2);
    await waitFor(
      async () => sample(await scrape('order'), 'sagaway_outbox_pending_messages'),
      (pending) => pending === 0,
      { what: 'the outbox to drain' },
    );
    expect(sample(await scrape('order'), 'sagaway_outbox_oldest_pending_age_seconds')).toBe(0);
    // Every reply consumed and its position committed.
    await waitFor(
      async () => sample(await scrape('order'), 'sagaway_consumer_lag_messages', { topic: 'saga.replies' }),
      (lag) => lag === 0,
      { what: 'the order service to have handled every reply' },
    );

    const payment = await scrape('payment');
    expect(sample(payment, 'sagaway_messages_consumed_total')).toBeGreaterThanOrEqual(3);
    // The order's products were read through the inventory's read model (a saga's stock change
    // evicts a product's view, so these reads missed and refilled it).
    const inventory = await scrape('inventory');
    const productReads = ['hit', 'miss'].map((result) =>
      sample(inventory, 'sagaway_cache_requests_total', { cache: 'product_view', result }),
    );
    expect(productReads[0]! + productReads[1]!).toBeGreaterThan(0);
  });

  it('serves every metric the Grafana dashboard and the Prometheus alerts query', async () => {
    const read = (file: string) => readFileSync(new URL(`../ops/${file}`, import.meta.url), 'utf8');
    const dashboard = JSON.parse(read('grafana/dashboards/sagaway.json'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    exprs.push(read('prometheus/alerts.yml'));
    const queried = new Set(exprs.flatMap((e) => e.match(/\bsagaway_[a-z0-9_]+/g) ?? []));
    // Families as declared (a labelled counter nothing has counted yet has no sample), with the series of histograms.
    const served = new Set<string>();
    for (const service of ['gateway', 'order', 'inventory', 'payment'] as const) {
      const text = await (await fetch(`${system.serviceUrl(service)}/metrics`)).text();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        served.add(name!);
        if (type === 'histogram') for (const part of ['_bucket', '_sum', '_count']) served.add(`${name}${part}`);
      }
    }
    expect(queried.size).toBeGreaterThan(20);
    expect([...queried].filter((name) => !served.has(name))).toEqual([]);
  });
});
