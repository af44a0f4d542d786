import { defineConfig } from 'drizzle-kit';

/** The payment service's schema; `npm run db:generate` writes its migrations. */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./subgraphs/payment/tables.ts'],
  out: './db/migrations/payment',
  schemaFilter: ['payments'],
});
