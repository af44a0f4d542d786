import { startTracing } from '../../runtime/tracing.ts';

// Tracing first: its instrumentations patch the modules the service imports next.
await startTracing('inventory');
const { runServiceProcess } = await import('../../runtime/index.ts');
const { createInventoryService, inventoryMigrations } = await import('./server.ts');
await runServiceProcess('inventory', [inventoryMigrations], createInventoryService);
