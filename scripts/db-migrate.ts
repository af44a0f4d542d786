import { openDatabase } from '../db/client.ts';
import { configOrExit } from '../platform/main.ts';
import { inventoryMigrations } from '../subgraphs/inventory/server.ts';
import { orderMigrations } from '../subgraphs/order/server.ts';
import { paymentMigrations } from '../subgraphs/payment/server.ts';

/** Applies every service's migrations to DATABASE_URL (or the embedded database). */
const config = configOrExit();
const database = await openDatabase(config);
try {
  for (const set of [orderMigrations, inventoryMigrations, paymentMigrations]) {
    await database.migrate(set);
    console.log(`migrated ${set.name}`);
  }
} finally {
  await database.close();
}
