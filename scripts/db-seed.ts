import { openDatabase } from '../db/index.ts';
import { configOrExit } from '../runtime/index.ts';
import { demoCatalog, seedDemoCatalog } from '../subgraphs/inventory/seed.ts';
import { inventoryMigrations } from '../subgraphs/inventory/server.ts';

/** Inserts the demo catalog into the inventory schema (existing products keep their stock). */
const config = configOrExit();
const database = await openDatabase(config);
try {
  await database.migrate(inventoryMigrations);
  await seedDemoCatalog(database.db);
  console.log(`seeded ${demoCatalog.length} products`);
} finally {
  await database.close();
}
