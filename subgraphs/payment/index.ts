import { runServiceProcess } from '../../runtime/index.ts';
import { createPaymentService, paymentMigrations } from './server.ts';

await runServiceProcess('payment', [paymentMigrations], createPaymentService);
