import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_TEMPLATE_VARIABLE } from './client.ts';

const file = path.resolve(import.meta.dirname, '..', '.tmp', `pglite-template-${process.pid}.tar`);

/**
 * vitest's global setup for the unit tests: one initialised PGlite cluster, dumped once, that every
 * in-memory database of the run starts from (`openPglite`), so no test pays for initdb.
 */
export async function setup() {
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env[PGLITE_TEMPLATE_VARIABLE] = file;
}

export function teardown() {
  rmSync(file, { force: true });
}
