import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError, Keyring } from './envelope.js';
import type { Envelope } from './envelope.js';

const oldKey = { id: 'k0', key: randomBytes(32) };
const newKey = { id: 'k1', key: randomBytes(32) };
const secret = JSON.stringify({ noiseKey: 'private bytes that must not leak' });

describe('Keyring', () => {
  it('round-trips and does not store the plaintext', () => {
    const ring = new Keyring([oldKey]);
    const blob = ring.seal(secret, 'auth/s1/creds.json');
    expect(blob.toString('utf8')).not.toContain('private bytes');
    const env = JSON.parse(blob.toString('utf8')) as Envelope;
    expect(env).toMatchObject({ v: 1, kid: 'k0' });
    expect(Buffer.from(env.iv, 'base64')).toHaveLength(12);
    expect(ring.open(blob, 'auth/s1/creds.json').toString('utf8')).toBe(secret);
  });

  it('uses a fresh IV per seal', () => {
    const ring = new Keyring([oldKey]);
    expect(ring.seal(secret, 'a').equals(ring.seal(secret, 'a'))).toBe(false);
  });

  it('fails when the ciphertext, tag or IV is tampered with', () => {
    const ring = new Keyring([oldKey]);
    const env = JSON.parse(ring.seal(secret, 'p').toString('utf8')) as Envelope;
    for (const field of ['ct', 'tag', 'iv'] as const) {
      const bytes = Buffer.from(env[field], 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      const tampered = Buffer.from(JSON.stringify({ ...env, [field]: bytes.toString('base64') }));
      expect(() => ring.open(tampered, 'p')).toThrow(DecryptionError);
    }
  });

  it('fails when the blob is moved to another path', () => {
    const ring = new Keyring([oldKey]);
    const blob = ring.seal(secret, 'auth/s1/creds.json');
    expect(() => ring.open(blob, 'auth/s2/creds.json')).toThrow(DecryptionError);
  });

  it('cannot be read without the key', () => {
    const blob = new Keyring([oldKey]).seal(secret, 'p');
    expect(() => new Keyring([newKey]).open(blob, 'p')).toThrow(/unknown key "k0"/);
    // Same id, different bytes: the tag check refuses it.
    expect(() => new Keyring([{ id: 'k0', key: randomBytes(32) }]).open(blob, 'p')).toThrow(DecryptionError);
  });

  it('rotates: opens old blobs, seals with the current key', () => {
    const before = new Keyring([oldKey]).seal(secret, 'p');
    const rotated = new Keyring([newKey, oldKey]);
    expect(rotated.open(before, 'p').toString('utf8')).toBe(secret);
    expect(rotated.needsRotation(before)).toBe(true);
    const after = rotated.seal(secret, 'p');
    expect((JSON.parse(after.toString('utf8')) as Envelope).kid).toBe('k1');
    expect(rotated.needsRotation(after)).toBe(false);
  });

  it('refuses a non-envelope and a key of the wrong size', () => {
    const ring = new Keyring([oldKey]);
    expect(() => ring.open(Buffer.from('{"hello":1}'), 'p')).toThrow(DecryptionError);
    expect(() => ring.open(Buffer.from('not json'), 'p')).toThrow(DecryptionError);
    expect(() => new Keyring([{ id: 'x', key: randomBytes(16) }])).toThrow(/32 bytes/);
    expect(() => new Keyring([])).toThrow();
  });
});
