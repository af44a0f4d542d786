import type { MigrationSet } from '../db/index.ts';
import type { ServiceName } from '../kernel/index.ts';
import type { ServiceFactory } from '../runtime/index.ts';

/**
 * Every subgraph service of the system, once: the composition root (embedded mode, composition,
 * db scripts, codegen, drizzle-kit) and the test harness read this list and nothing else. Paths
 * are relative to the repository root. A service's code is loaded only when `load` is called, so
 * reading the list loads no service.
 */
export interface ServiceEntry {
  name: ServiceName;
  /** The process's entry point (`npm run start:<name>`). */
  entry: string;
  /** The subgraph's GraphQL schema. */
  schema: string;
  /** Its folder under db/migrations. */
  migrations: MigrationSet;
  /** For drizzle-kit: the files that define its tables, and the PostgreSQL schemas they live in. */
  tables: { files: string[]; schemas: string[] };
  /** For codegen, as paths from the generated folder: the resolvers' context type and the rows GraphQL types map to. */
  resolverTypes: { context: string; mappers: Record<string, string> };
  load(): Promise<ServiceFactory>;
}

/** In start-up order: inventory first, it announces the catalog the order service prices from. */
export const services: readonly ServiceEntry[] = [
  {
    name: 'inventory',
    entry: 'subgraphs/inventory/index.ts',
    schema: 'subgraphs/inventory/schema.graphql',
    migrations: { name: 'inventory' },
    tables: { files: ['./subgraphs/inventory/tables.ts'], schemas: ['inventory'] },
    resolverTypes: { context: '../resolvers.ts#InventoryContext', mappers: { Product: '../tables.ts#ProductRow' } },
    load: async () => (await import('../subgraphs/inventory/server.ts')).createInventoryService,
  },
  {
    name: 'payment',
    entry: 'subgraphs/payment/index.ts',
    schema: 'subgraphs/payment/schema.graphql',
    migrations: { name: 'payment' },
    tables: { files: ['./subgraphs/payment/tables.ts'], schemas: ['payments'] },
    resolverTypes: {
      context: '../resolvers.ts#PaymentContext',
      mappers: { Payment: '../tables.ts#PaymentRow', Order: '../resolvers.ts#OrderReference' },
    },
    load: async () => (await import('../subgraphs/payment/server.ts')).createPaymentService,
  },
  {
    name: 'order',
    entry: 'subgraphs/order/index.ts',
    schema: 'subgraphs/order/schema.graphql',
    migrations: { name: 'order' },
    tables: { files: ['./subgraphs/order/tables.ts', './saga/tables.ts'], schemas: ['orders', 'saga', 'access'] },
    resolverTypes: {
      context: '../views.ts#OrderContext',
      mappers: {
        Order: '../tables.ts#OrderRow',
        OrderItem: '../tables.ts#OrderItemRow',
        Product: '../resolvers.ts#ProductReference',
        ApiKey: '../tables.ts#ApiKeyRow',
        ApiKeyPrincipal: '../access.ts#ApiKeyPrincipal',
        AuditEntry: '../tables.ts#AuditRow',
        Saga: '../../../saga/index.ts#SagaRow',
      },
    },
    load: async () => (await import('../subgraphs/order/server.ts')).createOrderService,
  },
];

export function serviceNamed(name: string): ServiceEntry {
  const entry = services.find((s) => s.name === name);
  if (!entry) throw new Error(`No service named "${name}"; the services are ${services.map((s) => s.name).join(', ')}`);
  return entry;
}
