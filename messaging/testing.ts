import { pgSchema } from 'drizzle-orm/pg-core';
import { messagingTables } from './tables.ts';

/**
 * For tests of the messaging layer, in a database from `openMigratedPglite`: an outbox and an inbox
 * made by the same definitions every service migrates — the payment service's, chosen for being
 * there, not for anything of the payment service.
 */
export const migratedMessagingTables = () => messagingTables(pgSchema('payments'));
