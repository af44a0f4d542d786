import { spawn } from 'node:child_process';
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build`: the services as plain JavaScript in `dist/`, for production (the Docker image,
 * docker-compose, the benchmarks). TypeScript compiles every program file (tests excluded) with its
 * imports rewritten from `.ts` to `.js`, and the files the programs read beside their code (GraphQL
 * schemas, the playground, the migrations) are copied to the same places under `dist/`. A process
 * started from `dist/` needs no TypeScript loader: it starts faster and holds ~40 MB less memory.
 * Fails on a type error.
 */
export const root = path.resolve(import.meta.dirname, '..');
export const distDir = path.join(root, 'dist');

/** Directories whose every file a program reads at run time, and files found by extension. */
const assetDirs = ['gateway/playground', 'gateway/console', 'db/migrations'];
const assetExtensions = ['.graphql'];
const sourceDirs = ['gateway', 'subgraphs'];

const run = (command: string, args: string[]) =>
  new Promise<void>((resolve, reject) =>
    spawn(command, args, { cwd: root, stdio: 'inherit' }).on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} exited with ${code}`)),
    ),
  );

async function filesByExtension(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && assetExtensions.includes(path.extname(e.name)))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

export async function build(): Promise<void> {
  await rm(distDir, { recursive: true, force: true });
  await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  const files = (await Promise.all(sourceDirs.map(filesByExtension))).flat();
  await Promise.all(
    [...assetDirs, ...files].map((asset) => cp(path.join(root, asset), path.join(distDir, asset), { recursive: true })),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await build();
  process.stdout.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
