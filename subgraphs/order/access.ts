import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { olderThan } from '../../db/index.ts';
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  type AuditEntry,
  auditEntry,
  badInput,
  digestApiKey,
  forbidden,
  type Identity,
  isApiKeyDigest,
  newApiKey,
  notFound,
  timeAndIdKey,
  uuidOf,
} from '../../kernel/index.ts';
import { createEnvelope, writeOutbox } from '../../messaging/index.ts';
import { type ApiKeyRow, type AuditRow, apiKeys, auditLog, outbox } from './tables.ts';

/**
 * API keys for machine clients (see kernel/api-key.ts for their form) and the audit log. The
 * gateway digests the key it receives and asks for the digest: the key itself never leaves it.
 */

/** Writes an audit entry in the caller's transaction; the same entry twice is written once. */
export async function recordAudit(tx: Db, entry: AuditEntry): Promise<void> {
  await tx
    .insert(auditLog)
    .values({ ...entry, at: new Date(entry.at) })
    .onConflictDoNothing({ target: auditLog.id });
}

/** Refuses anyone but an admin signed in as a person (an API key never acts as an admin). */
export const requireAdmin = (identity: Identity, what: string) => {
  if (!identity.isAdmin || identity.apiKeyId) throw forbidden(`Only an admin may ${what}`);
};

export interface CreateApiKeyInput {
  customerId: string;
  name: string;
  scopes: ApiKeyScope[];
  expiresAt?: Date | null;
}

function validateCreate(input: CreateApiKeyInput, now: Date): CreateApiKeyInput {
  const customerId = input.customerId.trim();
  const name = input.name.trim();
  if (!/^[\x21-\x7e]{1,128}$/.test(customerId))
    throw badInput('customerId must be 1..128 printable characters', { field: 'customerId' });
  if (!/^[^\p{C}]{1,100}$/u.test(name))
    throw badInput('name must be 1..100 characters without control characters', { field: 'name' });
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0 || scopes.some((s) => !API_KEY_SCOPES.includes(s)))
    throw badInput(`scopes must name at least one of ${API_KEY_SCOPES.join(', ')}`, { field: 'scopes' });
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime())
    throw badInput('expiresAt must be in the future', { field: 'expiresAt' });
  return { customerId, name, scopes, expiresAt: input.expiresAt ?? null };
}

/** Admin only: creates a key for one customer; answers the key itself, which is never stored. */
export async function createApiKey(
  db: Db,
  identity: Identity,
  input: CreateApiKeyInput,
  correlationId: string,
  now = new Date(),
): Promise<{ row: ApiKeyRow; key: string }> {
  requireAdmin(identity, 'create API keys');
  const valid = validateCreate(input, now);
  const key = newApiKey();
  const row: ApiKeyRow = {
    id: randomUUID(),
    customerId: valid.customerId,
    name: valid.name,
    scopes: valid.scopes,
    prefix: key.slice(0, 12),
    digest: digestApiKey(key),
    createdBy: identity.customerId,
    createdAt: now,
    expiresAt: valid.expiresAt ?? null,
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
  };
  await db.transaction(async (tx) => {
    await tx.insert(apiKeys).values(row);
    await recordAudit(
      tx,
      auditEntry(
        identity,
        'apiKey.created',
        `apiKey:${row.id}`,
        {
          customerId: row.customerId,
          name: row.name,
          scopes: row.scopes,
          expiresAt: row.expiresAt?.toISOString() ?? null,
        },
        correlationId,
        now,
      ),
    );
  });
  return { row, key };
}

/**
 * Admin only: revokes a key, and tells every gateway replica to forget it (`ApiKeyRevoked`, in the
 * same transaction). Revoking a revoked key changes nothing and answers it as it is.
 */
export async function revokeApiKey(
  db: Db,
  identity: Identity,
  id: string,
  correlationId: string,
  now = new Date(),
): Promise<ApiKeyRow> {
  requireAdmin(identity, 'revoke API keys');
  const keyId = uuidOf(id);
  if (!keyId) throw notFound(`No API key ${id}`);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, keyId)).for('update');
    if (!row) throw notFound(`No API key ${id}`);
    if (row.revokedAt) return row;
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: now, revokedBy: identity.customerId })
      .where(eq(apiKeys.id, keyId))
      .returning();
    await recordAudit(
      tx,
      auditEntry(
        identity,
        'apiKey.revoked',
        `apiKey:${keyId}`,
        { customerId: row.customerId, name: row.name },
        correlationId,
        now,
      ),
    );
    await writeOutbox(tx, outbox, [
      createEnvelope('ApiKeyRevoked', keyId, { apiKeyId: keyId }, { correlationId, causationId: null }, now),
    ]);
    return revoked!;
  });
}

/** Whom a key acts for, as the gateway needs to know it; undefined for an unknown, revoked or expired key. */
export interface ApiKeyPrincipal {
  id: string;
  customerId: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

/** Looks a key up by its digest, and notes its use (at most once a minute, in the same statement). */
export async function resolveApiKey(db: Db, digest: string, now = new Date()): Promise<ApiKeyPrincipal | undefined> {
  if (!isApiKeyDigest(digest)) return undefined;
  const usable = and(
    eq(apiKeys.digest, digest),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), sql`${apiKeys.expiresAt} > ${now.toISOString()}::timestamptz`),
  );
  const [touched] = await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(usable, or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - 60_000)))))
    .returning();
  const row = touched ?? (await db.select().from(apiKeys).where(usable))[0];
  return row && { id: row.id, customerId: row.customerId, scopes: row.scopes, expiresAt: row.expiresAt };
}

/** Where a page of keys or audit entries starts: after this (time, id), newest first. */
export const isTimeCursor = timeAndIdKey('at');
export type TimeCursor = { at: string; id: string };

/** One page of keys, newest first, one row more than asked (keyset on created_at, id). */
export function listApiKeys(
  db: Db,
  identity: Identity,
  { customerId, after, limit }: { customerId?: string; after?: TimeCursor; limit: number },
): Promise<ApiKeyRow[]> {
  requireAdmin(identity, 'list API keys');
  const where: SQL[] = [];
  if (customerId !== undefined) where.push(eq(apiKeys.customerId, customerId));
  if (after) where.push(olderThan(apiKeys.createdAt, apiKeys.id, after));
  return db
    .select()
    .from(apiKeys)
    .where(and(...where))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(limit + 1);
}

/** One page of the audit log, newest first, filtered by actor, action or API key (each on an index). */
export function listAudit(
  db: Db,
  identity: Identity,
  {
    actor,
    action,
    apiKeyId,
    after,
    limit,
  }: { actor?: string; action?: string; apiKeyId?: string; after?: TimeCursor; limit: number },
): Promise<AuditRow[]> {
  requireAdmin(identity, 'read the audit log');
  const where: SQL[] = [];
  if (actor !== undefined) where.push(eq(auditLog.actor, actor));
  if (action !== undefined) where.push(eq(auditLog.action, action));
  if (apiKeyId !== undefined) {
    const id = uuidOf(apiKeyId);
    if (!id) throw badInput('apiKeyId is not an id', { field: 'apiKeyId' });
    where.push(eq(auditLog.apiKeyId, id));
  }
  if (after) where.push(olderThan(auditLog.at, auditLog.id, after));
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit + 1);
}
