import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  type MessageType,
  messages,
  type Payload,
  PREVIOUS_SCHEMA_VERSION,
  previousVersion,
  SCHEMA_VERSION,
} from './contract.ts';
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
  /** Set by `decode` on a message written in the previous schema version, whose payload it upcast. */
  writtenIn?: number;
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

/** Refuses a schema version this release cannot write: only the current one and the previous one. */
export function assertWritable(version: number): void {
  if (version !== SCHEMA_VERSION && version !== PREVIOUS_SCHEMA_VERSION)
    throw new Error(
      `cannot write schema version ${version}: this release writes ${PREVIOUS_SCHEMA_VERSION} or ${SCHEMA_VERSION}`,
    );
}

/**
 * The envelope as written in schema version `version`: in its own version when that is the one
 * asked for — or older: an outbox row the previous release stored and this one relays goes out as
 * it was stored, which every consumer of this release reads — and a current one asked for in the
 * previous version with its payload converted back (`previousVersion`).
 */
export function inVersion(
  envelope: Envelope,
  version: number,
): Envelope | (Omit<Envelope, 'payload'> & { payload: unknown }) {
  assertWritable(version);
  if (envelope.schemaVersion <= version) return envelope;
  const change = previousVersion[envelope.type] as { down(p: unknown): unknown } | undefined;
  return { ...envelope, schemaVersion: version, payload: change ? change.down(envelope.payload) : envelope.payload };
}

/**
 * The message for a broker; `trace` (the publish span's context) goes in its headers, default: the
 * envelope's; `version` is the schema version it is written in (default: the current one).
 */
export function encode(envelope: Envelope, trace: TraceCarrier = envelope, version = SCHEMA_VERSION): OutgoingMessage {
  return {
    key: envelope.key,
    value: JSON.stringify(inVersion(envelope, version)),
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
  const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
  let written = shape.data.payload;
  if (schemaVersion === PREVIOUS_SCHEMA_VERSION) {
    // Written by a replica of the previous release: read as it was written, then upcast.
    const change = previousVersion[type as MessageType] as { schema: z.ZodType; up(p: unknown): unknown } | undefined;
    if (change) {
      const old = change.schema.safeParse(written);
      if (!old.success)
        throw new InvalidMessageError(`invalid ${type} payload (version ${schemaVersion}): ${issues(old.error)}`);
      written = change.up(old.data);
    }
  } else if (schemaVersion !== SCHEMA_VERSION)
    throw new InvalidMessageError(
      `schema version ${schemaVersion} of ${type} is not one this consumer reads (${PREVIOUS_SCHEMA_VERSION}, ${SCHEMA_VERSION}): replay it once every consumer reads it`,
    );
  const payload = messages[type as MessageType].schema.safeParse(written);
  if (!payload.success) throw new InvalidMessageError(`invalid ${type} payload: ${issues(payload.error)}`);
  return {
    ...shape.data,
    type,
    payload: payload.data,
    schemaVersion: SCHEMA_VERSION,
    ...(schemaVersion !== SCHEMA_VERSION ? { writtenIn: schemaVersion } : {}),
  } as AnyEnvelope;
}
