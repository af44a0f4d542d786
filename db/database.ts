import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

// What every database of the project is, whichever engine runs it (PostgreSQL or PGlite).

/** A drizzle database or a transaction on it: repositories accept either. */
// biome-ignore lint/suspicious/noExplicitAny: drizzle's own type for "any schema" takes `any`
export type Db = PgDatabase<PgQueryResultHKT, any, any>;

export interface Database {
  db: Db;
  /** Applies one service's committed migrations, serialised across processes. */
  migrate(service: MigrationSet): Promise<void>;
  /** Resolves once the database answered a trivial query; throws why it could not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One service's migrations: its folder under db/migrations and its own bookkeeping table. */
export interface MigrationSet {
  name: string;
}

/** Every service's migrations, a folder each. */
export const migrationsRoot = path.resolve(
  // drizzle-kit loads this file as CommonJS (generating migrations), where import.meta is empty.
  import.meta.dirname ?? __dirname,
  'migrations',
);

/** Bookkeeping lives outside the service's schema, which its first migration creates. */
export const migrationConfig = (set: MigrationSet) => ({
  migrationsFolder: path.join(migrationsRoot, set.name),
  migrationsSchema: 'drizzle',
  migrationsTable: `migrations_${set.name}`,
});

/** Called with every SQL statement a drizzle database runs (tests count them). */
export type QueryObserver = (sql: string) => void;
