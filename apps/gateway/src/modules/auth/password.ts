// Password hashing. bcrypt reads only the first 72 bytes, so longer passwords (the schema allows
// 128 characters, up to 512 UTF-8 bytes) are pre-hashed rather than silently truncated.
import bcrypt from 'bcrypt';
import { createHash, randomBytes } from 'node:crypto';

function bcryptInput(password: string): string {
  return Buffer.byteLength(password, 'utf8') > 72 ? createHash('sha256').update(password, 'utf8').digest('base64') : password;
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(bcryptInput(password), cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(bcryptInput(password), hash);
}

/**
 * A hash of a random password at the configured cost: login compares against it when the email
 * is unknown, so both failure paths cost one bcrypt comparison and take comparable time.
 */
export function createDummyHash(cost: number): () => Promise<string> {
  let hash: Promise<string> | undefined;
  return () => (hash ??= hashPassword(randomBytes(16).toString('hex'), cost));
}
