import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { services } from './registry.ts';

const root = new URL('../', import.meta.url);

/**
 * Composes every subgraph's schema (as the registry lists them) into the supergraph the gateway
 * serves, and the API schema clients see. The URLs written into the supergraph are placeholders:
 * the gateway routes to the URLs in its configuration.
 */
export function composeSupergraph(): { supergraphSdl: string; apiSchemaSdl: string } {
  const result = composeServices(
    services.map((s) => ({
      name: s.name,
      url: `http://${s.name}.invalid/graphql`,
      typeDefs: parse(readFileSync(new URL(s.schema, root), 'utf8')),
    })),
  );
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  return {
    supergraphSdl: result.supergraphSdl,
    apiSchemaSdl: `${printSchema(result.schema.toAPISchema().toGraphQLJSSchema())}\n`,
  };
}
