import { startTracing } from '../../runtime/tracing.ts';

// Tracing first: its instrumentations patch the modules the service imports next.
await startTracing('payment');
const { runServiceProcess } = await import('../../runtime/index.ts');
const { createPaymentService, paymentMigrations } = await import('./server.ts');
await runServiceProcess('payment', [paymentMigrations], createPaymentService);
