import { runServiceProcess } from '../../platform/main.ts';
import { createPaymentService, paymentMigrations } from './server.ts';

await runServiceProcess('payment', [paymentMigrations], createPaymentService);
