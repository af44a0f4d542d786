import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../system/compose.ts';
import { apiSchemaPath, supergraphPath } from './schema.ts';

describe('the committed supergraph', () => {
  const composed = composeSupergraph();

  it('is what the subgraph schemas compose to today (run `npm run compose` after changing one)', () => {
    expect(readFileSync(supergraphPath, 'utf8')).toBe(composed.supergraphSdl);
  });

  it('comes with the API schema that clients and codegen read', () => {
    expect(readFileSync(apiSchemaPath, 'utf8')).toBe(composed.apiSchemaSdl);
  });
});
