// Public surface of db/ — other folders import only this file (tests also testing.ts).
// PostgreSQL (postgres.js) and PGlite behind one drizzle `Database`, migrations, keyset paging.
export * from './client.ts';
export * from './database.ts';
export * from './keyset.ts';
export * from './transaction.ts';
