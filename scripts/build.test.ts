import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../gateway/node-flags.ts';
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

  it('starts the gateway with its V8 flags wherever it is started outside the harness', () => {
    const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
    const command = compose
      .split('\n')
      .find((line) => line.includes('dist/gateway/index.js') && line.includes('command:'));
    const script = (manifest as unknown as { scripts: Record<string, string> }).scripts['start:gateway'];
    for (const flag of GATEWAY_NODE_FLAGS) {
      expect(command).toContain(`"${flag}"`);
      expect(script).toContain(flag);
    }
  });

  it('is what the check reads: a benchmark imports a development dependency', () => {
    const { packages } = moduleGraph('scripts/bench-gateway.ts');
    expect([...packages].filter((p) => p in manifest.devDependencies)).toContain('autocannon');
  });
});
