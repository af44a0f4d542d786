import { runServiceProcess } from '../../platform/main.ts';
import { createOrderService, orderMigrations } from './server.ts';

await runServiceProcess('order', [orderMigrations], createOrderService);
