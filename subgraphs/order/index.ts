import { runServiceProcess } from '../../runtime/index.ts';
import { createOrderService, orderMigrations } from './server.ts';

await runServiceProcess('order', [orderMigrations], createOrderService);
