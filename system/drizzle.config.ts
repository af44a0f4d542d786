import { defineConfig } from 'drizzle-kit';
import { serviceNamed } from './registry.ts';

/**
 * drizzle-kit's configuration for one service, named by SAGAWAY_SERVICE (`npm run db:generate`
 * runs it for each service of the registry): its table files, its PostgreSQL schemas, and its
 * migrations folder.
 */
const service = serviceNamed(process.env.SAGAWAY_SERVICE ?? '');

export default defineConfig({
  dialect: 'postgresql',
  schema: service.tables.files,
  out: `./db/migrations/${service.migrations.name}`,
  schemaFilter: service.tables.schemas,
});
