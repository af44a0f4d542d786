import { sql } from 'drizzle-orm';
import { pgSchema } from 'drizzle-orm/pg-core';
import type { Database } from '../db/index.ts';
import { messagingTables } from './tables.ts';

/**
 * For tests of the messaging layer: an outbox and an inbox in a schema of their own, created from
 * the same table definitions every service migrates (drizzle-kit writes the DDL), so the tests
 * need no service.
 */
export async function createMessagingTables(database: Database, schemaName = 'messaging_test') {
  const schema = pgSchema(schemaName);
  const tables = messagingTables(schema);
  const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
  const statements = await generateMigration(generateDrizzleJson({}), generateDrizzleJson({ schema, ...tables }));
  for (const statement of statements) await database.db.execute(sql.raw(statement));
  return tables;
}
