import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One AES-256 key and the id written into every envelope it seals. */
export interface KeyringKey {
  id: string;
  key: Buffer;
}

/** What is stored: JSON with base64 fields. `kid` names the key so keys can rotate. */
export interface Envelope {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export class DecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecryptionError';
  }
}

/**
 * AES-256-GCM sealing with key rotation: seals with the current (first) key, opens with
 * whichever known key the envelope names. `aad` binds a blob to its storage key, so a blob
 * copied to another path (another session's creds) fails to open.
 */
export class Keyring {
  readonly #current: KeyringKey;
  readonly #byId: Map<string, Buffer>;

  constructor(keys: readonly KeyringKey[]) {
    const current = keys[0];
    if (current === undefined) throw new Error('A keyring needs at least one key.');
    for (const k of keys) {
      if (k.key.length !== 32) throw new Error(`Key "${k.id}" is not 32 bytes.`);
    }
    this.#current = current;
    this.#byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Encrypts with the current key; returns the envelope as JSON bytes. */
  seal(plaintext: Uint8Array | string, aad: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    const envelope: Envelope = {
      v: 1,
      kid: this.#current.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
    return Buffer.from(JSON.stringify(envelope), 'utf8');
  }

  /** Decrypts an envelope sealed by any known key; throws DecryptionError on tampering or an unknown key. */
  open(blob: Uint8Array, aad: string): Buffer {
    let envelope: Partial<Envelope>;
    try {
      envelope = JSON.parse(Buffer.from(blob).toString('utf8')) as Partial<Envelope>;
    } catch (cause) {
      throw new DecryptionError('The blob is not an encryption envelope.', { cause });
    }
    if (envelope.v !== 1 || typeof envelope.kid !== 'string' || typeof envelope.iv !== 'string' || typeof envelope.tag !== 'string' || typeof envelope.ct !== 'string') {
      throw new DecryptionError('The blob is not a version 1 encryption envelope.');
    }
    const key = this.#byId.get(envelope.kid);
    if (key === undefined) throw new DecryptionError(`The blob was sealed with unknown key "${envelope.kid}".`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]);
    } catch (cause) {
      throw new DecryptionError('The blob failed authentication (tampered, wrong key or wrong path).', { cause });
    }
  }

  /** True when the envelope was sealed with an older key and should be rewritten. */
  needsRotation(blob: Uint8Array): boolean {
    try {
      return (JSON.parse(Buffer.from(blob).toString('utf8')) as Partial<Envelope>).kid !== this.#current.id;
    } catch {
      return false;
    }
  }
}
