import { writeFileSync } from 'node:fs';
import { composeSupergraph, supergraphPath } from '../gateway/compose.ts';

/** Writes gateway/supergraph.graphql from the subgraph schemas; commit it with them. */
writeFileSync(supergraphPath, composeSupergraph());
console.log(`wrote ${supergraphPath.pathname}`);
