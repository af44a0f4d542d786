import { pgSchema } from 'drizzle-orm/pg-core';
import type { Database } from '../db/index.ts';
import { createTables } from '../db/testing.ts';
import { messagingTables } from './tables.ts';

/**
 * For tests of the messaging layer: an outbox and an inbox in a schema of their own, created from
 * the same table definitions every service migrates, so the tests need no service.
 */
export async function createMessagingTables(database: Database, schemaName = 'messaging_test') {
  const schema = pgSchema(schemaName);
  const tables = messagingTables(schema);
  await createTables(database, { schema, ...tables });
  return tables;
}
