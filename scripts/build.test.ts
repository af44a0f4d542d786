import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { moduleGraph } from '../harness/index.ts';
import { services } from '../system/registry.ts';

/**
 * The Docker image installs production dependencies only (`npm ci --omit=dev`) and runs the built
 * programs: each of them, with everything it may load (dynamic imports included), must need no
 * other package.
 */
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const programs = ['gateway/index.ts', ...services.map((s) => s.entry), 'scripts/start.ts', 'scripts/token.ts'];

describe('the programs the image runs', () => {
  it.each(programs)('%s imports only production dependencies', (entry) => {
    const { packages } = moduleGraph(entry);
    expect(packages.size).toBeGreaterThan(5);
    expect([...packages].filter((p) => !(p in manifest.dependencies))).toEqual([]);
  });

  it('is what the check reads: a benchmark imports a development dependency', () => {
    const { packages } = moduleGraph('scripts/bench-gateway.ts');
    expect([...packages].filter((p) => p in manifest.devDependencies)).toContain('autocannon');
  });
});
