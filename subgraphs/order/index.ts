import { startTracing } from '../../runtime/tracing.ts';

// Tracing first: its instrumentations patch the modules the service imports next.
await startTracing('order');
const { runServiceProcess } = await import('../../runtime/index.ts');
const { createOrderService, orderMigrations } = await import('./server.ts');
await runServiceProcess('order', [orderMigrations], createOrderService);
