import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, supergraphPath } from './compose.ts';

describe('the committed supergraph', () => {
  it('is what the subgraph schemas compose to today (run `npm run compose` after changing one)', () => {
    expect(readFileSync(supergraphPath, 'utf8')).toBe(composeSupergraph());
  });
});
