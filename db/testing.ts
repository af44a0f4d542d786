import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { type Database, PGLITE_TEMPLATE_VARIABLE } from './client.ts';

const file = path.resolve(import.meta.dirname, '..', '.tmp', `pglite-template-${process.pid}.tar`);

/**
 * vitest's global setup for the unit tests: one initialised PGlite cluster, dumped once, that every
 * in-memory database of the run starts from (`openPglite`), so no test pays for initdb.
 */
export async function setup() {
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env[PGLITE_TEMPLATE_VARIABLE] = file;
}

export function teardown() {
  rmSync(file, { force: true });
}

/**
 * Creates tables from their drizzle definitions (schemas and tables, as drizzle-kit reads a schema
 * file's exports), with the DDL drizzle-kit writes: for tests of a library whose tables each
 * service migrates in its own schema.
 */
export async function createTables(database: Database, definitions: Record<string, unknown>): Promise<void> {
  const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
  const statements = await generateMigration(generateDrizzleJson({}), generateDrizzleJson(definitions));
  for (const statement of statements) await database.db.execute(sql.raw(statement));
}
