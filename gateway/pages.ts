import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sendJson } from '../kernel/index.ts';

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

type Asset = { path: string; type: string };
const js = 'text/javascript; charset=utf-8';
const own = (page: string, file: string, type: string): Asset => ({
  path: new URL(`./${page}/${file}`, import.meta.url).pathname,
  type,
});

/** The playground's files: its own page and script, GraphiQL and React from the installed packages. */
const playgroundAssets: Record<string, Asset> = {
  'index.html': own('playground', 'index.html', 'text/html; charset=utf-8'),
  'playground.js': own('playground', 'playground.js', js),
  'graphiql.min.js': { path: packageFile('graphiql', 'graphiql.min.js'), type: js },
  'graphiql.min.css': { path: packageFile('graphiql', 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
  'react.production.min.js': { path: packageFile('react', 'umd/react.production.min.js'), type: js },
  'react-dom.production.min.js': { path: packageFile('react-dom', 'umd/react-dom.production.min.js'), type: js },
};

/** The saga console's files: its page, script and style, and graphql-ws's browser build for live updates. */
const consoleAssets: Record<string, Asset> = {
  'index.html': own('console', 'index.html', 'text/html; charset=utf-8'),
  'console.js': own('console', 'console.js', js),
  'console.css': own('console', 'console.css', 'text/css; charset=utf-8'),
  'graphql-ws.min.js': { path: packageFile('graphql-ws', 'umd/graphql-ws.min.js'), type: js },
};

const cache = new Map<string, Buffer>();

/** A browser asking for the GraphQL path gets the playground page instead of a GraphQL answer. */
export const wantsPlayground = (req: IncomingMessage, path: string) =>
  req.method === 'GET' &&
  path === '/graphql' &&
  (req.headers.accept ?? '').includes('text/html') &&
  !new URL(req.url ?? '/', 'http://x').searchParams.has('extensions');

const SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'";

function sendAsset(res: ServerResponse, key: string, asset: Asset) {
  let body = cache.get(key);
  if (!body) {
    body = readFileSync(asset.path);
    cache.set(key, body);
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'cache-control': 'no-cache',
    'content-security-policy': SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/**
 * Demo tokens the pages open with, so a person trying the system is signed in at once: a customer's
 * in the playground, an admin's in the console. Only ever given while the gateway verifies tokens
 * with the public development secret, with which anyone can sign any token anyway.
 */
export interface DemoTokens {
  customer(): Promise<string>;
  admin(): Promise<string>;
}

/**
 * Serves the playground (`/graphql` for a browser, `/playground/<file>`) and the saga console
 * (`/console`, `/console/<file>`), each where enabled, and `demo-token.json` beside each page when
 * `demoTokens` is given. The pages hold no data: the console's every read and action goes through
 * the GraphQL API with the admin token the person signs in with. Answers false for other paths.
 */
export function pagesHandler({
  playground,
  console: withConsole,
  demoTokens,
}: {
  playground: boolean;
  console: boolean;
  demoTokens?: DemoTokens | undefined;
}): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const sections: { prefix: string; assets: Record<string, Asset>; token: keyof DemoTokens }[] = [];
  if (playground) sections.push({ prefix: '/playground/', assets: playgroundAssets, token: 'customer' });
  if (withConsole) sections.push({ prefix: '/console/', assets: consoleAssets, token: 'admin' });
  return (req, res, path) => {
    if (req.method !== 'GET') return false;
    const page = path === '/console' ? '/console/' : path;
    const target =
      playground && wantsPlayground(req, path)
        ? '/playground/index.html'
        : page.endsWith('/')
          ? `${page}index.html`
          : page;
    const section = sections.find((s) => target.startsWith(s.prefix));
    if (!section) return false;
    const name = target.slice(section.prefix.length);
    if (name === 'demo-token.json') {
      if (!demoTokens) return false;
      void demoTokens[section.token]().then(
        (token) => sendJson(res, 200, { token }, { 'cache-control': 'no-store' }),
        () => sendJson(res, 500, { error: 'no demo token' }),
      );
      return true;
    }
    // Own names only: `/console/constructor` or `/console/__proto__` name no file.
    const asset = Object.hasOwn(section.assets, name) ? section.assets[name] : undefined;
    if (!asset) return false;
    sendAsset(res, target, asset);
    return true;
  };
}
