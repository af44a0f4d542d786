import { openDatabase } from '../db/index.ts';
import { configOrExit } from '../runtime/index.ts';
import { services } from '../system/registry.ts';

/** Applies every service's migrations to DATABASE_URL (or the embedded database). */
const config = configOrExit();
const database = await openDatabase(config);
try {
  for (const { migrations } of services) {
    await database.migrate(migrations);
    console.log(`migrated ${migrations.name}`);
  }
} finally {
  await database.close();
}
