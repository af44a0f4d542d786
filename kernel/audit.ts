import { randomUUID } from 'node:crypto';
import type { Identity } from './auth.ts';

/** Who did something, as the audit log names them. */
export type ActorKind = 'ADMIN' | 'CUSTOMER' | 'API_KEY';

/**
 * One line of the audit log: an admin action (restock, saga retry, cancelling another's order,
 * API key created or revoked) or a change made with an API key. The service that acts writes it in
 * the transaction of the action, so there is never one without the other.
 */
export interface AuditEntry {
  id: string;
  at: string;
  /** The token's subject (the admin or customer), or the customer an API key acts for. */
  actor: string;
  actorKind: ActorKind;
  apiKeyId: string | null;
  /** `noun.verb`, e.g. `product.restocked`. */
  action: string;
  /** What was acted on, e.g. `product:<id>`. */
  target: string;
  details: Record<string, unknown>;
  /** The request's correlation id: ties the entry to the logs of that request. */
  correlationId: string;
}

export const actorKindOf = (identity: Identity): ActorKind =>
  identity.apiKeyId ? 'API_KEY' : identity.isAdmin ? 'ADMIN' : 'CUSTOMER';

export function auditEntry(
  identity: Identity,
  action: string,
  target: string,
  details: Record<string, unknown>,
  correlationId: string,
  now = new Date(),
): AuditEntry {
  return {
    id: randomUUID(),
    at: now.toISOString(),
    actor: identity.customerId,
    actorKind: actorKindOf(identity),
    apiKeyId: identity.apiKeyId ?? null,
    action,
    target,
    details,
    correlationId,
  };
}
