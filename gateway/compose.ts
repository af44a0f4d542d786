import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { inventoryTypeDefs } from '../subgraphs/inventory/server.ts';
import { orderTypeDefs } from '../subgraphs/order/server.ts';
import { paymentTypeDefs } from '../subgraphs/payment/server.ts';

export const subgraphs = [
  { name: 'order', typeDefs: orderTypeDefs, url: 'http://127.0.0.1:4001/graphql' },
  { name: 'inventory', typeDefs: inventoryTypeDefs, url: 'http://127.0.0.1:4002/graphql' },
  { name: 'payment', typeDefs: paymentTypeDefs, url: 'http://127.0.0.1:4003/graphql' },
] as const;

export const supergraphPath = new URL('./supergraph.graphql', import.meta.url);
/** The API schema clients see (the supergraph without federation machinery); codegen reads it. */
export const apiSchemaPath = new URL('./api-schema.graphql', import.meta.url);

/**
 * Composes the three subgraph schemas into the supergraph the gateway serves, and the API schema
 * clients see. The URLs are defaults only: the gateway routes to the URLs in its configuration.
 */
export function composeSupergraph(): { supergraphSdl: string; apiSchemaSdl: string } {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  return { supergraphSdl: result.supergraphSdl, apiSchemaSdl: `${printSchema(result.schema.toAPISchema().toGraphQLJSSchema())}\n` };
}
