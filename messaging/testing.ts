import { pgSchema } from 'drizzle-orm/pg-core';
import { openMigratedPglite } from '../db/testing.ts';
import { messagingTables } from './tables.ts';

/**
 * For tests of the messaging layer, in a database from `openMigratedPglite`: an outbox and an inbox
 * made by the same definitions every service migrates — the payment service's, chosen for being
 * there, not for anything of the payment service.
 */
const migratedMessagingTables = () => messagingTables(pgSchema('payments'));

/** An in-memory database from `openMigratedPglite`, with `migratedMessagingTables`. */
export async function openMessagingDatabase() {
  return { database: await openMigratedPglite(), ...migratedMessagingTables() };
}
