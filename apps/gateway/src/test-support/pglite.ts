// A migrated embedded database for tests, in a fraction of the time of a fresh one.
//
// initdb (WASM) plus migrations costs 5–17 s depending on machine load; loading a dump of an
// already migrated data directory skips both. The dump is cached in the OS temp folder, keyed by
// the migration files and the PGlite version, so every test file (each runs in its own fork) and
// every later run reuses it, and a changed migration makes a new key.
// Tests may reach the driver directly, as *.test.ts files may; production code goes through db/client.ts.
// eslint-disable-next-line no-restricted-imports
import { PGlite } from '@electric-sql/pglite';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MIGRATIONS_FOLDER, openDatabaseFromPglite, type DatabaseHandle } from '../db/index.js';

async function templateKey(): Promise<string> {
  const hash = createHash('sha256');
  // The package hides package.json behind "exports"; its entry sits in dist/, one level below.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  hash.update(await readFile(join(dirname(entry), '..', 'package.json')));
  for (const dir of [MIGRATIONS_FOLDER, join(MIGRATIONS_FOLDER, 'meta')]) {
    const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    for (const name of names) hash.update(name).update(await readFile(join(dir, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function buildTemplate(file: string): Promise<Blob> {
  const client = await PGlite.create();
  const handle = await openDatabaseFromPglite(client);
  try {
    const dump = await client.dumpDataDir('none');
    // Published by rename, so a parallel fork never reads half a file.
    const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
    return dump;
  } finally {
    await handle.close();
  }
}

let template: Promise<Blob> | undefined;

function loadTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = join(tmpdir(), `wagate-pglite-template-${await templateKey()}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      return buildTemplate(file);
    }
  })();
  return template;
}

/**
 * A fresh, fully migrated in-memory database, independent of every other one. Close it when done
 * (an open PGlite keeps the process alive).
 */
export async function openTestPglite(): Promise<DatabaseHandle> {
  const client = await PGlite.create({ loadDataDir: await loadTemplate() });
  // Migrating again is a no-op on the template, and proves the journal in the dump is current.
  return openDatabaseFromPglite(client);
}
