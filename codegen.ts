import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator, `npm run codegen`:
 * - the typed client SDK's documents and types, from the gateway's API schema
 *   (gateway/api-schema.graphql, written by `npm run compose`) and client/operations;
 * - each subgraph's resolver types, from its schema, mapped onto the rows its resolvers return.
 * The output is committed; a test fails when it is stale.
 */
const scalars = { DateTime: { input: 'Date', output: 'Date | string' }, Decimal: 'string', ID: 'string' };

const resolverTypes = (service: string, context: string, mappers: Record<string, string>) => ({
  schema: `subgraphs/${service}/schema.graphql`,
  plugins: ['typescript', 'typescript-resolvers'],
  config: {
    federation: true,
    useTypeImports: true,
    enumsAsTypes: true,
    scalars,
    contextType: `../resolvers.ts#${context}`,
    mappers,
    mapperTypeSuffix: 'Model',
    avoidOptionals: false,
  },
});

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    'client/generated/graphql.ts': {
      schema: 'gateway/api-schema.graphql',
      documents: 'client/operations/*.graphql',
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', Decimal: 'string', ID: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        nonOptionalTypename: false,
        skipTypename: true,
        dedupeFragments: true,
      },
    },
    'subgraphs/order/generated/resolvers.ts': resolverTypes('order', 'OrderContext', {
      Order: '../tables.ts#OrderRow',
      OrderItem: '../tables.ts#OrderItemRow',
      Product: '../resolvers.ts#ProductReference',
      ApiKey: '../tables.ts#ApiKeyRow',
      ApiKeyPrincipal: '../access.ts#ApiKeyPrincipal',
      AuditEntry: '../tables.ts#AuditRow',
    }),
    'subgraphs/inventory/generated/resolvers.ts': resolverTypes('inventory', 'InventoryContext', {
      Product: '../tables.ts#ProductRow',
    }),
    'subgraphs/payment/generated/resolvers.ts': resolverTypes('payment', 'PaymentContext', {
      Payment: '../tables.ts#PaymentRow',
      Order: '../resolvers.ts#OrderReference',
    }),
  },
};

export default config;
