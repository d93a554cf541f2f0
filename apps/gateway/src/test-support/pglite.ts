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

/** Databases a test closed, kept for the next one in this process (tests of a file run one by one). */
const idle: PGlite[] = [];

/** Back to the freshly migrated state: no rows, sequences at their start, no session state. */
async function reset(client: PGlite): Promise<void> {
  // A test that left a transaction open is rolled back (a warning when there is none).
  await client.exec('ROLLBACK');
  await client.exec('DISCARD ALL');
  const { rows } = await client.query<{ name: string }>(`select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname = 'public'`);
  if (rows.length > 0) await client.exec(`TRUNCATE ${rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
}

/**
 * A fresh, fully migrated in-memory database, independent of every other open one. Close it when
 * done. Closing keeps the engine for the next test of the process, emptied (starting one costs
 * ~1.2 s, emptying one a few ms); what the test still holds is closed all the same: every use of
 * the closed handle's client throws, as with a closed PGlite, so late work of a test cannot write
 * into the next test's database.
 */
export async function openTestPglite(): Promise<DatabaseHandle> {
  const pooled = idle.pop();
  if (pooled !== undefined) await reset(pooled);
  const client = pooled ?? (await PGlite.create({ loadDataDir: await loadTemplate() }));
  let open = true;
  const guarded = new Proxy(client, {
    get(target, property) {
      if (!open) throw new Error('This test database is closed.');
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  // Migrating again is a no-op on the template, and proves the journal in the dump is current.
  const handle = await openDatabaseFromPglite(guarded, { migrate: pooled === undefined });
  return {
    ...handle,
    close: async () => {
      if (!open) return;
      open = false;
      idle.push(client);
    },
  };
}
