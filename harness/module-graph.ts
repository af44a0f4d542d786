import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** The package an import specifier names: `@scope/name` or `name`; undefined for a relative path or a built-in. */
const packageOf = (specifier: string) =>
  specifier.startsWith('.') || specifier.startsWith('node:')
    ? undefined
    : specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');

/**
 * What a program loads when it runs, read from its source: every project file (following static
 * and, unless `atStart`, dynamic imports of relative paths — those awaited at a top level always)
 * and every package those files import.
 * Type-only imports are erased at run time and not followed.
 */
export function moduleGraph(entry: string, { atStart = false } = {}): { files: Set<string>; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)([^'";]*?)\s+from\s+['"]([^'"]+)['"]/gm)].map(
        (m) => m[2]!,
      ),
      ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
      // Awaited at a module's top level (an entry point importing the rest after tracing starts): at start.
      ...[...text.matchAll(/^(?:const [^=]+= )?await import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1]!),
      ...(atStart ? [] : [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!)),
    ];
    for (const specifier of specifiers) {
      const name = packageOf(specifier);
      if (name) packages.add(name);
      else if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), specifier);
        if (existsSync(target) && target.endsWith('.ts')) visit(target);
      }
    }
  };
  visit(path.resolve(root, entry));
  return { files: new Set([...seen].map((f) => path.relative(root, f))), packages };
}
