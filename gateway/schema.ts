/** The supergraph the gateway serves, written by `npm run compose` and committed. */
export const supergraphPath = new URL('./supergraph.graphql', import.meta.url);
/** The API schema clients see (the supergraph without federation machinery); codegen reads it. */
export const apiSchemaPath = new URL('./api-schema.graphql', import.meta.url);
