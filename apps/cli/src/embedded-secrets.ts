import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Secrets an embedded install needs; production passes them in the environment instead. */
export interface EmbeddedSecrets {
  JWT_SECRET: string;
  ENCRYPTION_KEY: string;
  WORKER_TOKEN: string;
}

const FILE = 'secrets.json';

function generate(): EmbeddedSecrets {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    // 32 bytes for AES-256-GCM, base64 so the same format works in an env var.
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WORKER_TOKEN: randomBytes(32).toString('base64url'),
  };
}

function isSecrets(value: unknown): value is EmbeddedSecrets {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['JWT_SECRET', 'ENCRYPTION_KEY', 'WORKER_TOKEN'].every((k) => typeof v[k] === 'string' && (v[k] as string).length > 0);
}

/**
 * Reads `<dataDir>/secrets.json`, creating it (mode 0600) on first start, so an embedded install
 * keeps the same keys across restarts: losing ENCRYPTION_KEY would make every stored WhatsApp
 * credential unreadable.
 */
export async function ensureEmbeddedSecrets(dataDir: string): Promise<EmbeddedSecrets> {
  const path = join(dataDir, FILE);
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (isSecrets(parsed)) return parsed;
    throw new Error(`${path} is not a valid secrets file; move it away to generate new secrets`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const secrets = generate();
  // Written whole to a private name, then linked into place: link() fails if another process won
  // the race, and a reader never sees a half-written file.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  try {
    await link(temp, path);
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return ensureEmbeddedSecrets(dataDir);
  } finally {
    await unlink(temp);
  }
}
