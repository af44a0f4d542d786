import { z } from 'zod';

/**
 * Every topic and message type of the system, with the runtime schema of its payload.
 * Topic names are logical; the transport prefixes them per deployment. Saga and order messages are
 * keyed by order id, so all messages of one order stay in one partition, in order; product
 * messages by product id.
 */
export const topics = {
  inventoryCommands: 'inventory.commands',
  paymentCommands: 'payment.commands',
  sagaReplies: 'saga.replies',
  orderEvents: 'order.events',
  inventoryEvents: 'inventory.events',
} as const;

/** Where a message goes that cannot be handled (invalid, unknown type, non-retriable failure). */
export const deadLetterTopic = (topic: string) => `${topic}.dlq`;

export const allTopics: string[] = Object.values(topics).flatMap((t) => [t, deadLetterTopic(t)]);

const id = z.string().uuid();
const decimal = z.string().regex(/^\d+\.\d{2}$/, 'must be a decimal with two places');
/** Every saga command names the saga and step it belongs to, so a participant can reply. */
const sagaCommand = { sagaId: id, step: z.string().min(1), orderId: id };
const orderLine = z.object({ productId: id, quantity: z.number().int().min(1).max(1000) });

export const orderStatuses = [
  'PENDING',
  'INVENTORY_CONFIRMED',
  'PAYMENT_CONFIRMED',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** An order in one of these statuses moves no more. */
export const finalOrderStatuses = ['COMPLETED', 'FAILED', 'CANCELLED'] as const satisfies readonly OrderStatus[];
export const isFinalOrderStatus = (status: string): boolean =>
  (finalOrderStatuses as readonly string[]).includes(status);

export const messages = {
  ReserveInventory: {
    topic: topics.inventoryCommands,
    schema: z.object({ ...sagaCommand, lines: z.array(orderLine).min(1).max(50) }),
  },
  CommitInventory: { topic: topics.inventoryCommands, schema: z.object(sagaCommand) },
  ReleaseInventory: { topic: topics.inventoryCommands, schema: z.object(sagaCommand) },
  ChargePayment: {
    topic: topics.paymentCommands,
    schema: z.object({
      ...sagaCommand,
      customerId: z.string().min(1),
      amount: decimal,
      currency: z.string().length(3),
      paymentToken: z.string().min(1),
      /** Derived from the saga and step: the provider charges at most once per key. */
      idempotencyKey: z.string().min(1),
    }),
  },
  RefundPayment: {
    topic: topics.paymentCommands,
    schema: z.object({ ...sagaCommand, idempotencyKey: z.string().min(1) }),
  },
  /**
   * A participant's answer to a saga command (action or compensation). Since version 2 a failure's
   * particulars are one object that only a failure has.
   */
  SagaStepReplied: {
    topic: topics.sagaReplies,
    schema: z.discriminatedUnion('outcome', [
      z.object({ sagaId: id, step: z.string().min(1), outcome: z.literal('SUCCEEDED') }),
      z.object({
        sagaId: id,
        step: z.string().min(1),
        outcome: z.literal('FAILED'),
        failure: z.object({
          /** Why the step failed, in words a customer understands. */
          reason: z.string(),
          /** The failure may pass: the saga sends the command again, within the step's retry policy. */
          retriable: z.boolean(),
        }),
      }),
    ]),
  },
  /** A product and its price, published by inventory when it is created (key: product id). */
  ProductPriced: {
    topic: topics.inventoryEvents,
    schema: z.object({ productId: id, sku: z.string().min(1), price: decimal, currency: z.string().length(3) }),
  },
  /** An admin action or an API key's use, recorded by the service that did it (key: the entry's id). */
  AuditRecorded: {
    topic: topics.inventoryEvents,
    schema: z.object({
      id,
      at: z.string().datetime(),
      actor: z.string().min(1),
      actorKind: z.enum(['ADMIN', 'CUSTOMER', 'API_KEY']),
      apiKeyId: id.nullable(),
      action: z.string().min(1),
      target: z.string().min(1),
      details: z.record(z.string(), z.unknown()),
      correlationId: z.string().min(1),
    }),
  },
  /** An API key was revoked: every gateway replica forgets it at once (key: the API key's id). */
  ApiKeyRevoked: { topic: topics.orderEvents, schema: z.object({ apiKeyId: id }) },
  /** Published after every committed change of an order's status. */
  OrderStatusChanged: {
    topic: topics.orderEvents,
    schema: z.object({
      orderId: id,
      customerId: z.string().min(1),
      status: z.enum(orderStatuses),
      version: z.number().int().min(1),
      reason: z.string().nullable(),
      at: z.string().datetime(),
    }),
  },
} as const;

export type MessageType = keyof typeof messages;
export type Payload<T extends MessageType> = z.infer<(typeof messages)[T]['schema']>;

/**
 * The schema version of the payloads above, bumped with a breaking change to any payload. A consumer
 * reads this version and the one before (`PREVIOUS_SCHEMA_VERSION`, upcast on arrival), and a
 * producer writes either (MESSAGE_SCHEMA_VERSION): during a rolling deploy the new replicas write
 * the previous version until no old replica is left to read them (docs/deployment.md).
 */
export const SCHEMA_VERSION = 2;
export const PREVIOUS_SCHEMA_VERSION = 1;

/**
 * How the payloads of the previous version differ: for each message type that changed, its
 * schema then (exactly as the previous release validated it), and the conversions both ways. A
 * type not named here is the same in both versions.
 */
export const previousVersion: {
  [T in MessageType]?: { schema: z.ZodType; up(old: never): Payload<T>; down(current: Payload<T>): unknown };
} = {
  SagaStepReplied: {
    schema: z.object({
      sagaId: id,
      step: z.string().min(1),
      outcome: z.enum(['SUCCEEDED', 'FAILED']),
      reason: z.string().optional(),
      retriable: z.boolean().optional(),
    }),
    up: (old: {
      sagaId: string;
      step: string;
      outcome: 'SUCCEEDED' | 'FAILED';
      reason?: string;
      retriable?: boolean;
    }) =>
      old.outcome === 'SUCCEEDED'
        ? { sagaId: old.sagaId, step: old.step, outcome: 'SUCCEEDED' }
        : {
            sagaId: old.sagaId,
            step: old.step,
            outcome: 'FAILED',
            failure: { reason: old.reason ?? `${old.step} failed`, retriable: old.retriable ?? false },
          },
    down: (current) =>
      current.outcome === 'SUCCEEDED'
        ? { sagaId: current.sagaId, step: current.step, outcome: 'SUCCEEDED' }
        : { sagaId: current.sagaId, step: current.step, outcome: 'FAILED', ...current.failure },
  },
};
