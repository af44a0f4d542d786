import { defineConfig } from 'drizzle-kit';

/** The order service's schema; `npm run db:generate` writes its migrations. */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./subgraphs/order/tables.ts', './saga/tables.ts'],
  out: './db/migrations/order',
  schemaFilter: ['orders', 'saga', 'access'],
});
