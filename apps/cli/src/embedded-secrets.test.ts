import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureEmbeddedSecrets } from './embedded-secrets.js';

describe('ensureEmbeddedSecrets', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('generates secrets once and returns the same ones on the next start', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wagate-secrets-'));
    const first = await ensureEmbeddedSecrets(join(dir, 'nested'));
    const second = await ensureEmbeddedSecrets(join(dir, 'nested'));
    expect(second).toEqual(first);
    expect(Buffer.from(first.ENCRYPTION_KEY, 'base64')).toHaveLength(32);
    expect(first.JWT_SECRET).not.toEqual(first.WORKER_TOKEN);
    const mode = (await stat(join(dir, 'nested', 'secrets.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('gives concurrent first starts the same secrets', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wagate-secrets-'));
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureEmbeddedSecrets(dir)));
    const onDisk: unknown = JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8'));
    for (const s of all) expect(s).toEqual(onDisk);
  });
});
