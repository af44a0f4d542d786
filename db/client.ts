import path from 'node:path';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { type Database, migrationConfig } from './database.ts';
import { tracedSql } from './tracing.ts';

/** Rows of a raw `execute`, whatever the driver returns. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export function openPostgres(url: string, poolSize = 10, { traceQueries = false } = {}): Database {
  const client = postgres(url, { max: poolSize, onnotice: () => {}, idle_timeout: 30, connect_timeout: 10 });
  return {
    db: drizzlePostgres({ client: traceQueries ? tracedSql(client) : client }),
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
    async ping() {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

export async function openDatabase({
  databaseUrl,
  dataDir,
  databasePoolSize,
  traceQueries,
}: {
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  /** A span per statement (db/tracing.ts), for a process that traces (runtime/tracing.ts). */
  traceQueries?: boolean;
}): Promise<Database> {
  if (databaseUrl) return openPostgres(databaseUrl, databasePoolSize, { traceQueries });
  // PGlite's WebAssembly costs a process tens of MB: loaded only by processes that embed it.
  const { openPglite } = await import('./pglite.ts');
  return openPglite({ dir: path.join(dataDir, 'pglite') });
}
