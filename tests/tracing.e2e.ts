import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startSystem, waitFor } from '../harness/index.ts';

/**
 * One trace per order, across every process: the services export spans over OTLP (HTTP, JSON) to
 * a collector this test runs, configured only by the standard OTEL_* variables. A placeOrder sent
 * with a traceparent of the test's own must come back as one trace holding the gateway's request,
 * the order service's mutation, every step of the saga, each Kafka hop (publish and process) in
 * each service, and the status event reaching the subscriber at the gateway.
 */
interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const spans: CollectedSpan[] = [];
let collector: Server;
let system: RunningSystem;
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';

type OtlpValue = { stringValue?: string; intValue?: string; boolValue?: boolean };
type OtlpAttribute = { key: string; value: OtlpValue };
const otlpValue = (v: OtlpValue) => v.stringValue ?? v.intValue ?? v.boolValue;
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, otlpValue(a.value)]));

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const resource of body.resourceSpans ?? []) {
          const service = String(attributesOf(resource.resource?.attributes)['service.name']);
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                kind: span.kind,
                attributes: attributesOf(span.attributes),
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  system = await startSystem('tracing', {
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('a traced order', () => {
  it('is one trace from the HTTP mutation through every saga step and Kafka hop to the subscriber', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const token = await system.token('alice');
    // The saga waits at its first step until the subscriber below listens, so that every status
    // event of the order reaches it through the gateway (a late subscriber gets a snapshot instead).
    await system.signal('inventory', 'SIGSTOP');
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        traceparent: `00-${traceId}-${parent}-01`,
      },
      body: JSON.stringify({
        query: `mutation { placeOrder(input: { items: [{ productId: "${BOOK}", quantity: 1 }], paymentToken: "tok_visa" }) { order { id } } }`,
      }),
    });
    const orderId = ((await response.json()) as { data: { placeOrder: { order: { id: string } } } }).data.placeOrder
      .order.id;
    // A subscriber, so that the trace reaches the delivery of the order's events.
    const alice = await system.client('alice');
    const events = alice.orderStatusOnly(orderId)[Symbol.asyncIterator]();
    try {
      expect((await events.next()).value).toMatchObject({ status: 'PENDING' }); // the snapshot
    } finally {
      await system.signal('inventory', 'SIGCONT');
    }
    const delivered: string[] = [];
    for (let e = await events.next(); !e.done; e = await events.next()) {
      delivered.push(e.value.status);
      if (e.value.status === 'COMPLETED') break;
    }
    await events.return?.(undefined);
    await alice.dispose();
    expect(delivered).toEqual(['INVENTORY_CONFIRMED', 'PAYMENT_CONFIRMED', 'COMPLETED']);

    const steps = ['reserveInventory', 'chargePayment', 'commitInventory', 'completeOrder'];
    const trace = await waitFor(
      async () => spans.filter((s) => s.traceId === traceId),
      (found) => {
        // Each process exports its spans in its own batches: wait until the tree has no gap.
        const ids = new Set(found.map((s) => s.spanId));
        return (
          steps.every((step) => found.some((s) => s.name === `saga step ${step}`)) &&
          found.filter((s) => s.service === 'sagaway-gateway' && /^process .*order\.events$/.test(s.name)).length ===
            3 &&
          found.every((s) => s.parentSpanId === parent || ids.has(s.parentSpanId))
        );
      },
      { what: 'the spans of every step, in one tree', timeoutMs: 30_000 },
    );
    const names = (service: string) => trace.filter((s) => s.service === service).map((s) => s.name);

    // The request: the gateway's HTTP span continues the caller's trace; the order service's is its child.
    const root = trace.find((s) => s.parentSpanId === parent)!;
    expect(root).toMatchObject({ service: 'sagaway-gateway', kind: 2 /* SERVER */ });
    expect(trace.some((s) => s.service === 'sagaway-order' && s.kind === 2)).toBe(true);

    // Every step of the saga, run by the order service, each with its saga's attributes.
    for (const step of steps) {
      const span = trace.find((s) => s.name === `saga step ${step}`)!;
      expect(span).toMatchObject({ service: 'sagaway-order' });
      expect(span.attributes).toMatchObject({ 'sagaway.saga.step': step, 'sagaway.saga.compensation': false });
    }
    // The Kafka hops: published by one service, processed by the next, as producer and consumer spans.
    expect(names('sagaway-inventory')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^process .*inventory\.commands$/)]),
    );
    expect(names('sagaway-payment')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^process .*payment\.commands$/)]),
    );
    expect(names('sagaway-order')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^publish .*inventory\.commands$/),
        expect.stringMatching(/^publish .*payment\.commands$/),
        expect.stringMatching(/^process .*saga\.replies$/),
        expect.stringMatching(/^publish .*order\.events$/),
      ]),
    );
    // The statements each service ran for the order, as client spans of PostgreSQL (text only, no values).
    for (const service of ['sagaway-order', 'sagaway-inventory', 'sagaway-payment']) {
      const statements = trace.filter((s) => s.service === service && s.attributes['db.system.name'] === 'postgresql');
      expect(statements.length, service).toBeGreaterThan(0);
      expect(statements.every((s) => s.kind === 3 /* CLIENT */)).toBe(true);
    }
    const statements = trace.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(statements.map((s) => s.name)).toEqual(expect.arrayContaining(['INSERT', 'UPDATE', 'SELECT']));
    // The text as sent, with placeholders: the customer's id is a parameter, never in a span.
    const inserts = statements.filter((s) => s.name === 'INSERT').map((s) => String(s.attributes['db.query.text']));
    expect(inserts.some((t) => t.includes('$1'))).toBe(true);
    expect(JSON.stringify(statements)).not.toContain('alice');
    const consumers = trace.filter((s) => s.kind === 5 /* CONSUMER */);
    const producers = new Map(trace.filter((s) => s.kind === 4 /* PRODUCER */).map((s) => [s.spanId, s]));
    // Three commands and three replies handled in the services (a retried batch may add one), and
    // the three status events delivered by the gateway.
    expect(consumers.filter((s) => s.service !== 'sagaway-gateway').length).toBeGreaterThanOrEqual(6);
    expect(consumers.filter((s) => s.service === 'sagaway-gateway')).toHaveLength(3);
    for (const consumer of consumers) {
      // Each consumed message's span is the child of the span that published it, and names the message.
      expect(producers.get(consumer.parentSpanId)?.attributes['messaging.message.id']).toBe(
        consumer.attributes['messaging.message.id'],
      );
    }
    // One tree: every span's parent is in the trace, but the root's, which is the caller's.
    const ids = new Set(trace.map((s) => s.spanId));
    expect(trace.filter((s) => !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual([root.name]);
  });
});
