import type { CodegenConfig } from '@graphql-codegen/cli';
import { type ServiceEntry, services } from './system/registry.ts';

/**
 * GraphQL Code Generator, `npm run codegen`:
 * - the typed client SDK's documents and types, from the gateway's API schema
 *   (gateway/api-schema.graphql, written by `npm run compose`) and client/operations;
 * - each subgraph's resolver types, from its schema, mapped onto the rows its resolvers return.
 * The output is committed; a test fails when it is stale.
 */
const scalars = { DateTime: { input: 'Date', output: 'Date | string' }, Decimal: 'string', ID: 'string' };

/** Each subgraph's resolver types, from its schema, mapped onto the rows its resolvers return (see system/registry.ts). */
const resolverTypes = (service: ServiceEntry) => ({
  schema: service.schema,
  plugins: ['typescript', 'typescript-resolvers'],
  config: {
    federation: true,
    useTypeImports: true,
    enumsAsTypes: true,
    scalars,
    contextType: service.resolverTypes.context,
    mappers: service.resolverTypes.mappers,
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
    ...Object.fromEntries(
      services.map((service) => [`subgraphs/${service.name}/generated/resolvers.ts`, resolverTypes(service)]),
    ),
  },
};

export default config;
