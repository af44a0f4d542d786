import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Database, migrationsRoot, type QueryObserver } from './database.ts';
import { openPglite, pgliteDatabase } from './pglite.ts';

/** Names the template `openMigratedPglite` starts from. */
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
 * Makes (once per PGlite version and state of db/migrations, kept in .tmp/pglite) the tarball the
 * unit tests' in-memory databases start from: a cluster with every service's migrations applied, so
 * no test pays for initdb (seconds) or migrations. Sets the variable naming it for
 * `openMigratedPglite`.
 */
export async function prepareTemplate(): Promise<void> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const { sets, files } = migrationFiles();
  // v2: the template databases dropped.
  const digest = createHash('sha256').update(`v2 ${version}`);
  for (const file of files) digest.update(path.relative(migrationsRoot, file)).update(readFileSync(file));
  const name = `migrated-${digest.digest('hex').slice(0, 16)}.tar`;
  const template = path.join(cacheRoot, name);
  mkdirSync(cacheRoot, { recursive: true });
  if (!existsSync(template)) {
    const pglite = await PGlite.create();
    const database = pgliteDatabase(pglite);
    for (const set of sets) await database.migrate({ name: set });
    // Only the `postgres` database is ever used: without the two template databases there is a
    // third less to load for every test database (~0.5 s instead of ~0.75 s).
    for (const template of ['template0', 'template1']) {
      await pglite.exec(`update pg_database set datistemplate = false where datname = '${template}'`);
      await pglite.exec(`drop database ${template}`);
    }
    await pglite.exec('checkpoint');
    writeAtomically(template, new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
    await pglite.close();
  }
  // Templates of other versions or migrations are of no more use (a run's partial file is not touched).
  for (const stale of readdirSync(cacheRoot)) {
    if (stale !== name && stale.endsWith('.tar')) rmSync(path.join(cacheRoot, stale), { recursive: true, force: true });
  }
  process.env[MIGRATED_TEMPLATE_VARIABLE] = template;
}

/** vitest's global setup for the unit tests. */
export const setup = prepareTemplate;

/**
 * An in-memory database with every service's migrations already applied (a service migrating it
 * again finds nothing to do): for tests that start services.
 */
export function openMigratedPglite(onQuery?: QueryObserver): Promise<Database> {
  return openPglite({ onQuery, template: process.env[MIGRATED_TEMPLATE_VARIABLE] });
}
