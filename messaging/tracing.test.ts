import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { api, core, node, tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEnvelope, decode, encode } from './envelope.ts';
import { endSpan, inProcessSpan, startPublishSpan } from './tracing.ts';

/**
 * The trace context through a message: made into the envelope, carried by the publish span in the
 * headers, restored by the consumer; with OpenTelemetry's own SDK recording the spans in memory.
 */
const exporter = new tracing.InMemorySpanExporter();
const ORDER = '00000000-0000-4000-8000-000000000001';
const payload = { sagaId: '00000000-0000-4000-8000-0000000000ff', step: 'commitInventory', orderId: ORDER };
const causation = { correlationId: 'c1', causationId: null };

describe('without tracing', () => {
  it('writes no trace context into envelopes or headers', () => {
    const envelope = createEnvelope('CommitInventory', ORDER, payload, causation);
    expect(envelope).not.toHaveProperty('traceparent');
    expect(encode(envelope).headers).not.toHaveProperty('traceparent');
  });
});

describe('with tracing', () => {
  let provider: InstanceType<typeof node.NodeTracerProvider>;
  beforeAll(() => {
    provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
    provider.register({ propagator: new core.W3CTraceContextPropagator() });
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());
  const tracer = () => api.trace.getTracer('test');

  it('carries a message from the span it was made in, through its publish span, to the span that handles it', async () => {
    const made = tracer().startSpan('placeOrder');
    const envelope = context.with(trace.setSpan(context.active(), made), () =>
      createEnvelope('CommitInventory', ORDER, payload, causation),
    );
    made.end();
    expect(envelope.traceparent).toBe(`00-${made.spanContext().traceId}-${made.spanContext().spanId}-01`);

    const publish = startPublishSpan('inventory.commands', envelope);
    const encoded = encode(envelope, publish.headers);
    const message = { ...encoded, headers: encoded.headers ?? {}, topic: 'inventory.commands' };
    endSpan(publish.span);
    const received = decode(message);
    expect(received.traceparent).toBe(envelope.traceparent);

    const reply = await inProcessSpan(message, received, 'inventory', async () =>
      createEnvelope(
        'SagaStepReplied',
        ORDER,
        { sagaId: payload.sagaId, step: 'commitInventory', outcome: 'SUCCEEDED' },
        causation,
      ),
    );
    const spans = new Map(exporter.getFinishedSpans().map((s) => [s.name, s]));
    const published = spans.get('publish inventory.commands')!;
    const processed = spans.get('process inventory.commands')!;
    expect(published.kind).toBe(SpanKind.PRODUCER);
    expect(published.parentSpanContext?.spanId).toBe(made.spanContext().spanId);
    expect(processed.kind).toBe(SpanKind.CONSUMER);
    expect(processed.parentSpanContext?.spanId).toBe(published.spanContext().spanId);
    expect(processed.attributes).toMatchObject({
      'messaging.destination.name': 'inventory.commands',
      'messaging.message.id': envelope.id,
      'messaging.consumer.group.name': 'inventory',
    });
    // What the handler sends belongs to the handling span, in the same trace.
    expect(reply.traceparent).toBe(`00-${made.spanContext().traceId}-${processed.spanContext().spanId}-01`);
  });

  it('joins the trace through the envelope when the headers lost it, and handles a message whose trace context is malformed', async () => {
    const made = tracer().startSpan('placeOrder');
    const envelope = context.with(trace.setSpan(context.active(), made), () =>
      createEnvelope('CommitInventory', ORDER, payload, causation),
    );
    made.end();
    const bare = { key: ORDER, value: JSON.stringify(envelope), headers: {}, topic: 'inventory.commands' };
    await inProcessSpan(bare, decode(bare), 'inventory', async () => {});
    const processed = exporter.getFinishedSpans().find((s) => s.name === 'process inventory.commands')!;
    expect(processed.parentSpanContext?.spanId).toBe(made.spanContext().spanId);

    const garbled = { value: JSON.stringify({ ...envelope, traceparent: 42 }) };
    expect(decode(garbled)).toMatchObject({ id: envelope.id, type: 'CommitInventory' });
    expect(decode(garbled).traceparent).toBeUndefined();
  });
});
