import { writeFileSync } from 'node:fs';
import { apiSchemaPath, composeSupergraph, supergraphPath } from '../gateway/compose.ts';

/** Writes gateway/supergraph.graphql and gateway/api-schema.graphql from the subgraph schemas; commit both. */
const { supergraphSdl, apiSchemaSdl } = composeSupergraph();
writeFileSync(supergraphPath, supergraphSdl);
writeFileSync(apiSchemaPath, apiSchemaSdl);
console.log(`wrote ${supergraphPath.pathname} and ${apiSchemaPath.pathname}`);
