import { writeFileSync } from 'node:fs';
import { apiSchemaPath, supergraphPath } from '../gateway/schema.ts';
import { composeSupergraph } from '../system/compose.ts';

/** Writes gateway/supergraph.graphql and gateway/api-schema.graphql from the subgraph schemas; commit both. */
const { supergraphSdl, apiSchemaSdl } = composeSupergraph();
writeFileSync(supergraphPath, supergraphSdl);
writeFileSync(apiSchemaPath, apiSchemaSdl);
console.log(`wrote ${supergraphPath.pathname} and ${apiSchemaPath.pathname}`);
