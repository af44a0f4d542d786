import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/** A drizzle database or a transaction on it: repositories accept either. */
// biome-ignore lint/suspicious/noExplicitAny: drizzle's own type for "any schema" takes `any`
export type Db = PgDatabase<PgQueryResultHKT, any, any>;

export interface Database {
  db: Db;
  /** Applies one service's committed migrations, serialised across processes. */
  migrate(service: MigrationSet): Promise<void>;
  close(): Promise<void>;
}

/** One service's migrations: its folder under db/migrations and its own bookkeeping table. */
export interface MigrationSet {
  name: string;
}

/** Every service's migrations, a folder each. */
export const migrationsRoot = path.resolve(import.meta.dirname, 'migrations');

/** Bookkeeping lives outside the service's schema, which its first migration creates. */
const migrationConfig = (set: MigrationSet) => ({
  migrationsFolder: path.join(migrationsRoot, set.name),
  migrationsSchema: 'drizzle',
  migrationsTable: `migrations_${set.name}`,
});

/** Rows of a raw `execute`, whatever the driver returns. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export function openPostgres(url: string, poolSize = 10): Database {
  const client = postgres(url, { max: poolSize, onnotice: () => {}, idle_timeout: 30, connect_timeout: 10 });
  return {
    db: drizzlePostgres({ client }),
    async migrate(set) {
      // Replicas start together: one connection holds an advisory lock while it migrates.
      const single = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await single`select pg_advisory_lock(hashtext(${`migrate:${set.name}`}))`;
        await migratePostgres(drizzlePostgres({ client: single }), migrationConfig(set));
      } finally {
        await single.end();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** Called with every SQL statement a drizzle database runs (tests count them). */
export type QueryObserver = (sql: string) => void;

/** The embedded database: PostgreSQL compiled to WASM, one connection, data in `dir` (in memory without one). */
export async function openPglite({
  dir,
  onQuery,
  template,
}: {
  dir?: string;
  /** Sees every statement drizzle sends. */
  onQuery?: QueryObserver;
  /** A `dumpDataDir` tarball the in-memory cluster starts as, instead of running initdb (seconds). */
  template?: string;
} = {}): Promise<Database> {
  if (dir) mkdirSync(dir, { recursive: true });
  const client = await PGlite.create({
    ...(dir ? { dataDir: dir } : {}),
    ...(template ? { loadDataDir: new Blob([readFileSync(template)]) } : {}),
  });
  return pgliteDatabase(client, onQuery);
}

/** A `Database` on an open PGlite client. */
export function pgliteDatabase(client: PGlite, onQuery?: QueryObserver): Database {
  const db = drizzlePglite({ client, ...(onQuery ? { logger: { logQuery: (query: string) => onQuery(query) } } : {}) });
  return {
    db,
    async migrate(set) {
      await migratePglite(db, migrationConfig(set));
    },
    close: () => client.close(),
  };
}

export async function openDatabase({
  databaseUrl,
  dataDir,
  databasePoolSize,
}: {
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
}): Promise<Database> {
  return databaseUrl ? openPostgres(databaseUrl, databasePoolSize) : openPglite({ dir: path.join(dataDir, 'pglite') });
}
