import { defineConfig } from 'drizzle-kit';

/** The inventory service's schema; `npm run db:generate` writes its migrations. */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./subgraphs/inventory/tables.ts'],
  out: './db/migrations/inventory',
  schemaFilter: ['inventory'],
});
