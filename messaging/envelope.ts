import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type MessageType, messages, type Payload, SCHEMA_VERSION } from './contract.ts';
import { activeTraceContext, type TraceCarrier } from './tracing.ts';
import type { IncomingMessage, OutgoingMessage } from './transport.ts';

/** What travels on every topic: the payload plus the metadata to trace, dedupe and evolve it. */
export interface Envelope<T extends MessageType = MessageType> {
  id: string;
  type: T;
  schemaVersion: number;
  /** The business transaction this message belongs to (the order's correlation id). */
  correlationId: string;
  /** The id of the message (or request) that caused this one. */
  causationId: string | null;
  occurredAt: string;
  key: string;
  payload: Payload<T>;
  /** The W3C trace context the message was made in (messaging/tracing.ts); absent when nothing is traced. */
  traceparent?: string;
  tracestate?: string;
}

export type AnyEnvelope = { [T in MessageType]: Envelope<T> }[MessageType];

/** A message that can never be handled: retrying it cannot help. */
export class InvalidMessageError extends Error {
  readonly retriable = false;
  override name = 'InvalidMessageError';
}

export interface Causation {
  correlationId: string;
  causationId: string | null;
}

export function createEnvelope<T extends MessageType>(
  type: T,
  key: string,
  payload: Payload<T>,
  { correlationId, causationId }: Causation,
  now: Date = new Date(),
): Envelope<T> {
  const parsed = messages[type].schema.parse(payload) as Payload<T>;
  return {
    id: randomUUID(),
    type,
    schemaVersion: SCHEMA_VERSION,
    correlationId,
    causationId,
    occurredAt: now.toISOString(),
    key,
    payload: parsed,
    ...activeTraceContext(),
  };
}

/** The causation for messages caused by `envelope`. */
export const causedBy = (envelope: Envelope): Causation => ({
  correlationId: envelope.correlationId,
  causationId: envelope.id,
});

/** The message for a broker; `trace` (the publish span's context) goes in its headers, default: the envelope's. */
export function encode(envelope: Envelope, trace: TraceCarrier = envelope): OutgoingMessage {
  return {
    key: envelope.key,
    value: JSON.stringify(envelope),
    headers: {
      'message-id': envelope.id,
      'message-type': envelope.type,
      'correlation-id': envelope.correlationId,
      ...(envelope.causationId ? { 'causation-id': envelope.causationId } : {}),
      ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    },
  };
}

const envelopeShape = z.object({
  id: z.string().uuid(),
  type: z.string(),
  schemaVersion: z.number().int(),
  correlationId: z.string().min(1),
  causationId: z.string().nullable(),
  occurredAt: z.string().datetime(),
  key: z.string(),
  payload: z.unknown(),
  // A malformed trace context is not the message's fault: it is dropped, the message handled.
  traceparent: z.string().max(512).optional().catch(undefined),
  tracestate: z.string().max(512).optional().catch(undefined),
});

/** Validates a message at the boundary; throws `InvalidMessageError` saying what is wrong. */
export function decode(message: Pick<IncomingMessage, 'value'>): AnyEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(message.value);
  } catch {
    throw new InvalidMessageError('message is not JSON');
  }
  const shape = envelopeShape.safeParse(raw);
  if (!shape.success)
    throw new InvalidMessageError(
      `invalid envelope: ${shape.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  const { type, schemaVersion } = shape.data;
  if (!(type in messages)) throw new InvalidMessageError(`unknown message type ${type}`);
  if (schemaVersion !== SCHEMA_VERSION)
    throw new InvalidMessageError(`unsupported schema version ${schemaVersion} of ${type}`);
  const payload = messages[type as MessageType].schema.safeParse(shape.data.payload);
  if (!payload.success)
    throw new InvalidMessageError(
      `invalid ${type} payload: ${payload.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  return { ...shape.data, type, payload: payload.data } as AnyEnvelope;
}
