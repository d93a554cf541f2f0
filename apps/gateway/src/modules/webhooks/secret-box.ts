// Webhook secrets at rest: AES-256-GCM under config.ENCRYPTION_KEY. The endpoint id is bound in as
// associated data, so a ciphertext copied onto another endpoint's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(ciphertext: string, context: string): string;
}

const VERSION = 'v1';

/** `key` is 32 bytes (config.ENCRYPTION_KEY decoded). Stored form: `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('The webhook secret key must be 32 bytes.');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    },
    open(ciphertext, context) {
      const [version, iv, tag, ct] = ciphertext.split('.');
      if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('Not a sealed webhook secret.');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
