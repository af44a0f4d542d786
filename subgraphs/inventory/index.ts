import { runServiceProcess } from '../../runtime/index.ts';
import { createInventoryService, inventoryMigrations } from './server.ts';

await runServiceProcess('inventory', [inventoryMigrations], createInventoryService);
