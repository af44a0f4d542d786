import { sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { sagaInstances, sagaSchema } from './tables.ts';

/**
 * For tests of the engine: its `saga.instances` table, created from the same definition the
 * services migrate (drizzle-kit writes the DDL), so the tests need no service.
 */
export async function createSagaTables(database: Database): Promise<void> {
  const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
  const statements = await generateMigration(
    generateDrizzleJson({}),
    generateDrizzleJson({ sagaSchema, sagaInstances }),
  );
  for (const statement of statements) await database.db.execute(sql.raw(statement));
}
