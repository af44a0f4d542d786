// Placing an order: validated, priced, idempotent per customer and key, capped per customer, and
// admitted only while the sagas in flight leave room; the order, its saga and first command in one
// transaction.
import { randomUUID } from 'node:crypto';
import { type Db, transaction } from '../../db/index.ts';
import type { Sealer } from '../../kernel/index.ts';
import {
  auditEntry,
  badInput,
  forbidden,
  formatCents,
  hasErrorCode,
  type Identity,
  mayChangeOrders,
  rateLimited,
  serviceUnavailable,
} from '../../kernel/index.ts';
import { batchingOutbox, type Causation, writeOutbox } from '../../messaging/index.ts';
import type { Admission, SagaEngine, SagaView } from '../../saga/index.ts';
import { recordAudit } from './access.ts';
import type { Catalog } from './catalog.ts';
import { CURRENCY, type PlaceOrderInput, priceLines, validatePlaceOrder } from './order.ts';
import { findByIdempotencyKey, insertOrder, openLoad } from './repository.ts';
import type { OrderSagaData } from './saga.ts';
import { statusEvent } from './saga-host.ts';
import { type OrderItemRow, type OrderRow, outbox } from './tables.ts';

const isUniqueViolation = (err: unknown): boolean => hasErrorCode(err, (code) => code === '23505');

/** What one customer may have running at once, so that nobody holds the stock of everyone else. */
export interface OpenOrderCaps {
  maxOpenOrders: number;
  maxOpenUnits: number;
}

/**
 * What a placement asked for, as a keyed digest (the payment token is in it, and a plain hash of a
 * guessable token could be reversed): the same idempotency key must come with the same request.
 */
const requestHashOf = (sealer: Sealer, lines: { productId: string; quantity: number }[], paymentToken: string) =>
  sealer.digest(
    JSON.stringify([
      [...lines].sort((a, b) => a.productId.localeCompare(b.productId)).map((l) => [l.productId, l.quantity]),
      paymentToken,
    ]),
  );

/** The order a known key answers, if the request is the one the key was first used for. */
function replayOf(existing: OrderRow, requestHash: string): { order: OrderRow; created: false } {
  if (existing.requestHash !== null && existing.requestHash !== requestHash) {
    throw badInput('This idempotency key was used for a different order; a new order needs a new key', {
      field: 'idempotencyKey',
      reason: 'IDEMPOTENCY_KEY_REUSED',
    });
  }
  return { order: existing, created: false };
}

/**
 * Validates, prices and stores the order as PENDING, and starts its saga, all in one transaction.
 * The same idempotency key from the same customer returns the order it first created. When the
 * sagas in flight could not finish in time, a new order is refused with SERVICE_UNAVAILABLE before
 * anything is written (a known key still answers its order).
 */
export async function placeOrder(
  {
    db,
    catalog,
    engine,
    admission,
    caps,
    sealer,
  }: {
    db: Db;
    catalog: Catalog;
    engine: SagaEngine<OrderSagaData>;
    admission?: Admission;
    caps?: OpenOrderCaps;
    sealer: Sealer;
  },
  identity: Identity,
  input: PlaceOrderInput,
  request: { correlationId: string },
): Promise<
  | { order: OrderRow; created: false }
  | { order: OrderRow; created: true; items: OrderItemRow[]; saga: SagaView<OrderSagaData> }
> {
  if (!mayChangeOrders(identity))
    throw forbidden('This API key may not place orders (it lacks the PLACE_ORDERS scope)');
  const lines = validatePlaceOrder(input);
  const key = input.idempotencyKey ?? null;
  const requestHash = requestHashOf(sealer, lines, input.paymentToken);
  // One round trip for both reads; admins are not capped.
  const [existing, load] = await Promise.all([
    key ? findByIdempotencyKey(db, identity.customerId, key) : undefined,
    caps && !identity.isAdmin ? openLoad(db, identity.customerId) : undefined,
  ]);
  if (existing) return replayOf(existing, requestHash);
  if (caps && load) {
    const units = lines.reduce((sum, l) => sum + l.quantity, 0);
    if (load.orders >= caps.maxOpenOrders || load.units + units > caps.maxOpenUnits) {
      throw rateLimited(
        `A customer may have at most ${caps.maxOpenOrders} orders and ${caps.maxOpenUnits} units in progress; retry when one has finished`,
        5000,
        { limit: 'openOrders' },
      );
    }
  }
  const verdict = admission?.check();
  if (verdict && !verdict.admit) {
    throw serviceUnavailable(
      `Too many orders are being processed; retry in ${Math.ceil(verdict.retryAfterMs / 1000)} s`,
      verdict.retryAfterMs,
    );
  }
  const priced = priceLines(lines, await catalog.prices(lines.map((l) => l.productId)));
  const now = new Date();
  const row: OrderRow = {
    id: randomUUID(),
    customerId: identity.customerId,
    status: 'PENDING',
    totalCents: priced.totalCents,
    currency: CURRENCY,
    failureReason: null,
    idempotencyKey: key,
    requestHash,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  // The request's correlation id follows the order through every saga message.
  const causation: Causation = { correlationId: request.correlationId, causationId: null };
  try {
    const stored = await transaction(db, (tx) =>
      batchingOutbox(tx, async () => {
        const items = await insertOrder(tx, row, priced.lines);
        await writeOutbox(tx, outbox, [statusEvent(row, causation)]);
        // What a machine client did is on record with its key.
        if (identity.apiKeyId)
          await recordAudit(
            tx,
            auditEntry(
              identity,
              'order.placed',
              `order:${row.id}`,
              { total: formatCents(row.totalCents), currency: row.currency, lines: priced.lines.length },
              request.correlationId,
              now,
            ),
          );
        const saga = await engine.start(
          tx,
          {
            id: randomUUID(),
            businessKey: row.id,
            data: {
              orderId: row.id,
              customerId: row.customerId,
              lines: priced.lines.map(({ productId, quantity }) => ({ productId, quantity })),
              amount: formatCents(row.totalCents),
              currency: row.currency,
              paymentToken: sealer.seal(input.paymentToken, row.id),
            },
          },
          causation,
        );
        return { items, saga };
      }),
    );
    admission?.admitted();
    return { order: row, created: true, ...stored };
  } catch (err) {
    // Two requests with one key raced: the loser returns the winner's order.
    if (key && isUniqueViolation(err)) {
      const winner = await findByIdempotencyKey(db, identity.customerId, key);
      if (winner) return replayOf(winner, requestHash);
    }
    throw err;
  }
}
