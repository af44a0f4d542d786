import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** A file of an installed package, whatever the package's `exports` allow. */
function packageFile(name: string, file: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) !== name.split('/').at(-1)) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = parent;
  }
  return path.join(dir, file);
}

/** The playground's files: its own page and script, GraphiQL and React from the installed packages. */
const assets: Record<string, { path: string; type: string }> = {
  'index.html': {
    path: new URL('./playground/index.html', import.meta.url).pathname,
    type: 'text/html; charset=utf-8',
  },
  'playground.js': {
    path: new URL('./playground/playground.js', import.meta.url).pathname,
    type: 'text/javascript; charset=utf-8',
  },
  'graphiql.min.js': { path: packageFile('graphiql', 'graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.css': { path: packageFile('graphiql', 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
  'react.production.min.js': {
    path: packageFile('react', 'umd/react.production.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'react-dom.production.min.js': {
    path: packageFile('react-dom', 'umd/react-dom.production.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};
const cache = new Map<string, Buffer>();

/** A browser asking for the GraphQL path gets the playground page instead of a GraphQL answer. */
export const wantsPlayground = (req: IncomingMessage, path: string) =>
  req.method === 'GET' &&
  path === '/graphql' &&
  (req.headers.accept ?? '').includes('text/html') &&
  !new URL(req.url ?? '/', 'http://x').searchParams.has('extensions');

/** Serves `/graphql` (the page) and `/playground/<file>`; answers false for anything else. */
export function servePlayground(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const name = wantsPlayground(req, path)
    ? 'index.html'
    : path.startsWith('/playground/')
      ? path.slice('/playground/'.length)
      : undefined;
  const asset = name ? assets[name] : undefined;
  if (!asset || req.method !== 'GET') return false;
  let body = cache.get(name!);
  if (!body) {
    body = readFileSync(asset.path);
    cache.set(name!, body);
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'cache-control': 'no-cache',
    'content-security-policy':
      "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:",
  });
  res.end(body);
  return true;
}
