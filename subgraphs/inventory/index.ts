import { runServiceProcess } from '../../platform/main.ts';
import { createInventoryService, inventoryMigrations } from './server.ts';

await runServiceProcess('inventory', [inventoryMigrations], createInventoryService);
