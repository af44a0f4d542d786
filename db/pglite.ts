import { mkdirSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, migrationConfig, type QueryObserver } from './database.ts';

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
    async ping() {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}
