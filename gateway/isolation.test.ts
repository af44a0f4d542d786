import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Every project file a module loads when it runs, following static and (unless `atStart`) dynamic
 * imports of relative paths (type-only imports are erased at run time and not followed).
 */
function moduleGraph(entry: string, { atStart = false } = {}): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)([^'";]*?)\s+from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map(
        (m) => m[2]!,
      ),
      ...[...text.matchAll(/^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!),
      ...(atStart ? [] : [...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)].map((m) => m[1]!)),
    ];
    for (const specifier of specifiers) {
      const target = path.resolve(path.dirname(file), specifier);
      if (existsSync(target) && target.endsWith('.ts')) visit(target);
    }
  };
  visit(path.resolve(root, entry));
  return new Set([...seen].map((f) => path.relative(root, f)));
}

describe('the gateway process', () => {
  it('loads no subgraph, subgraph hosting, saga or composition code', () => {
    const loaded = [...moduleGraph('gateway/index.ts')];
    expect(loaded).toContain('gateway/server.ts');
    expect(loaded.filter((f) => /^(subgraphs|saga|system|runtime\/subgraph)\//.test(f))).toEqual([]);
  });

  it('loads no database code when it starts: no db/, no outbox or inbox, no drizzle or postgres driver', () => {
    const loaded = [...moduleGraph('gateway/index.ts', { atStart: true })];
    expect(loaded).toContain('messaging/kafka.ts');
    expect(loaded.filter((f) => /^db\/|^messaging\/(inbox|outbox|tables|runtime|participant)\.ts$/.test(f))).toEqual(
      [],
    );
    // A service does load them (through the dynamic import the gateway never reaches).
    expect([...moduleGraph('runtime/infrastructure.ts')]).toContain('db/client.ts');
  });

  it('is what the check follows: the composition root does load every service', () => {
    const loaded = [...moduleGraph('system/embedded.ts')];
    for (const service of ['order', 'inventory', 'payment']) expect(loaded).toContain(`subgraphs/${service}/server.ts`);
  });
});
