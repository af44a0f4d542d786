import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  type Database,
  migrationsRoot,
  openPglite,
  PGLITE_TEMPLATE_VARIABLE,
  pgliteDatabase,
  type QueryObserver,
} from './client.ts';

/** Names the template with every service's migrations applied (`openMigratedPglite`). */
const MIGRATED_TEMPLATE_VARIABLE = 'SAGAWAY_PGLITE_MIGRATED_TEMPLATE';
const cacheRoot = path.resolve(import.meta.dirname, '..', '.tmp', 'pglite');

/** The migration folders and every file in them, in a stable order. */
function migrationFiles(): { sets: string[]; files: string[] } {
  const sets = readdirSync(migrationsRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const files = sets.flatMap((set) =>
    readdirSync(path.join(migrationsRoot, set), { recursive: true, encoding: 'utf8' })
      .map((file) => path.join(migrationsRoot, set, file))
      .filter((file) => statSync(file).isFile())
      .sort(),
  );
  return { sets, files };
}

/** Writes `data` to `file` whole or not at all: concurrent runs may build the same template. */
function writeAtomically(file: string, data: Uint8Array) {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, data);
  renameSync(partial, file);
}

/**
 * Makes (once per PGlite version and state of db/migrations, kept in .tmp/pglite) the tarballs the
 * unit tests' in-memory databases start from: a freshly initialised cluster, so no test pays for
 * initdb (seconds), and one with every service's migrations applied. Sets the variables naming
 * them for `openPglite` and `openMigratedPglite`.
 */
export async function prepareTemplates(): Promise<void> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const { sets, files } = migrationFiles();
  const digest = createHash('sha256');
  for (const file of files) digest.update(file).update(readFileSync(file));
  const dir = path.join(cacheRoot, version);
  const bare = path.join(dir, 'bare.tar');
  const migrated = path.join(dir, `migrated-${digest.digest('hex').slice(0, 16)}.tar`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(bare)) {
    const pglite = await PGlite.create();
    writeAtomically(bare, new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
    await pglite.close();
  }
  if (!existsSync(migrated)) {
    const pglite = await PGlite.create({ loadDataDir: new Blob([readFileSync(bare)]) });
    const database = pgliteDatabase(pglite);
    for (const name of sets) await database.migrate({ name });
    writeAtomically(migrated, new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
    await pglite.close();
  }
  for (const stale of readdirSync(dir)) {
    if (![path.basename(bare), path.basename(migrated)].includes(stale)) rmSync(path.join(dir, stale), { force: true });
  }
  process.env[PGLITE_TEMPLATE_VARIABLE] = bare;
  process.env[MIGRATED_TEMPLATE_VARIABLE] = migrated;
}

/** vitest's global setup for the unit tests. */
export const setup = prepareTemplates;

/**
 * An in-memory database with every service's migrations already applied (a service migrating it
 * again finds nothing to do): for tests that start services.
 */
export function openMigratedPglite(onQuery?: QueryObserver): Promise<Database> {
  return openPglite({ onQuery, template: process.env[MIGRATED_TEMPLATE_VARIABLE] });
}
