// What inventory tells other services on its own (not in answer to a message), through its outbox
// in the caller's transaction: product prices, and admin actions for the audit log.
import type { Db } from '../../db/index.ts';
import type { AuditEntry } from '../../kernel/index.ts';
import { formatCents } from '../../kernel/index.ts';
import { createEnvelope, writeOutbox } from '../../messaging/index.ts';
import { outbox, type ProductRow } from './tables.ts';

/** Tells other services about products (the order service prices orders from these), in the caller's transaction. */
export async function announceProducts(tx: Db, rows: ProductRow[]): Promise<void> {
  await writeOutbox(
    tx,
    outbox,
    rows.map((p) =>
      createEnvelope(
        'ProductPriced',
        p.id,
        { productId: p.id, sku: p.sku, price: formatCents(p.priceCents), currency: p.currency },
        { correlationId: `product:${p.id}`, causationId: null },
      ),
    ),
  );
}

/** Sends an admin action to the audit log (kept by the order service), in the caller's transaction. */
export async function recordAudit(tx: Db, entry: AuditEntry): Promise<void> {
  await writeOutbox(tx, outbox, [
    createEnvelope('AuditRecorded', entry.id, entry, { correlationId: entry.correlationId, causationId: null }),
  ]);
}
