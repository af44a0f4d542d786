import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Traces through messages, by hand: the active trace context is written into each envelope as the
 * W3C `traceparent` (and `tracestate`) when the envelope is made — inside the transaction that
 * writes its outbox row — so the trace survives the outbox, a relay on another replica, a crash and
 * redelivery. The relay's publish span is the parent of the consumer's (Kafka headers); a message
 * that lost its headers still joins its trace through the envelope.
 *
 * Without an OpenTelemetry SDK started (runtime/tracing.ts) every call here is the API's no-op:
 * no context is written, and the spans record nothing.
 */
const tracer = trace.getTracer('sagaway');

/** `fn`, to run outside any trace, whatever the context it is called from. */
export const detached =
  <A extends unknown[], R>(fn: (...args: A) => R) =>
  (...args: A): R =>
    context.with(ROOT_CONTEXT, fn, undefined, ...args);

/** W3C trace context fields, as in an envelope or Kafka headers. */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** The active trace context as W3C fields; empty when nothing is traced. */
export function activeTraceContext(active: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  const out: TraceCarrier = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}

/** The trace context a carrier names (the root context when it names none). */
export const traceContextOf = (carrier: TraceCarrier): Context =>
  carrier.traceparent ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;

const messagingAttributes = (
  operation: 'publish' | 'process',
  topic: string,
  message: { id: string; type: string; key: string },
): Attributes => ({
  'messaging.system': 'kafka',
  'messaging.operation.type': operation,
  'messaging.destination.name': topic,
  'messaging.message.id': message.id,
  'messaging.kafka.message.key': message.key,
  'sagaway.message.type': message.type,
});

/**
 * A producer span for one message the relay publishes, child of the context its envelope was
 * made in; its own context goes out in the message's headers. End it once the broker has the message.
 */
export function startPublishSpan(
  topic: string,
  envelope: { id: string; type: string; key: string } & TraceCarrier,
): { span: Span; headers: TraceCarrier } {
  const span = tracer.startSpan(
    `publish ${topic}`,
    { kind: SpanKind.PRODUCER, attributes: messagingAttributes('publish', topic, envelope) },
    traceContextOf(envelope),
  );
  return { span, headers: activeTraceContext(trace.setSpan(ROOT_CONTEXT, span)) };
}

/** Ends a span, as failed when `err` is given. */
export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

/** Runs `fn` in a span of its own under the active context, ending it as `fn` settles. */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: () => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), fn);
    endSpan(span);
    return result;
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
}

/** Runs `fn` in the span that makes one thing (an envelope) under the active context, ended at once. */
export function inInstantSpan<T>(name: string, attributes: Attributes, fn: () => T): T {
  const span = tracer.startSpan(name, { attributes });
  try {
    return context.with(trace.setSpan(context.active(), span), fn);
  } finally {
    span.end();
  }
}

/**
 * Handles one consumed message in a consumer span whose parent is the publish span named in the
 * message's headers, or else the context stored in its envelope: what the handler sends joins the trace.
 */
export function inProcessSpan<T>(
  message: { topic: string; headers: Record<string, string> },
  envelope: { id: string; type: string; key: string } & TraceCarrier,
  consumer: string,
  fn: () => Promise<T>,
): Promise<T> {
  const from = message.headers.traceparent ? message.headers : envelope;
  return inSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      parent: traceContextOf(from),
      attributes: {
        ...messagingAttributes('process', message.topic, envelope),
        'messaging.consumer.group.name': consumer,
      },
    },
    fn,
  );
}
