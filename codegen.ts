import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: the typed client SDK's documents and types, from the gateway's API
 * schema (gateway/api-schema.graphql, written by `npm run compose`) and client/operations.
 * `npm run codegen` regenerates; the output is committed and a test fails when it is stale.
 */
const config: CodegenConfig = {
  overwrite: true,
  schema: 'gateway/api-schema.graphql',
  documents: 'client/operations/*.graphql',
  generates: {
    'client/generated/graphql.ts': {
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
  },
  hooks: {},
};

export default config;
