import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WEBHOOK_SECRET_REGEX } from '@wagate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';
import { generateWebhookSecret, signatureHeader, signedHeaders, verifyWebhookSignature } from './webhook-signature.js';

type Verify = (secret: string, headers: Record<string, string>, rawBody: string, toleranceSeconds?: number) => boolean;

/** The snippet customers copy from the README, loaded as written. */
let readmeVerify: Verify;
let dir: string;

beforeAll(async () => {
  const readme = await readFile(new URL('../../../../../README.md', import.meta.url), 'utf8');
  const match = /<!-- webhook-verify[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README has no webhook-verify block');
  dir = await mkdtemp(join(tmpdir(), 'wagate-readme-'));
  const file = join(dir, 'verify.mjs');
  await writeFile(file, match[1]!);
  readmeVerify = ((await import(pathToFileURL(file).href)) as { verifyWebhook: Verify }).verifyWebhook;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const body = JSON.stringify({ id: 'evt_0123456789', type: 'message.received', createdAt: '2025-01-01T00:00:00.000Z', sessionId: 'ses_1', data: {} });

describe('webhook signatures', () => {
  it('generates whsec_ secrets of 32 random bytes that the contract accepts', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(WEBHOOK_SECRET_REGEX);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs v1,<base64 HMAC-SHA256 of id.timestamp.body> keyed with the decoded secret', () => {
    const secret = generateWebhookSecret();
    const headers = signedHeaders([secret], 'evt_0123456789', body, 1_700_000_000);
    const mac = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`evt_0123456789.1700000000.${body}`).digest('base64');
    expect(headers).toEqual({ 'webhook-id': 'evt_0123456789', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${mac}` });
  });

  for (const [name, verify] of [
    ['the README snippet', (s: string, h: Record<string, string>, b: string) => readmeVerify(s, h, b)],
    ['verifyWebhookSignature', (s: string, h: Record<string, string>, b: string) => verifyWebhookSignature(s, h, b)],
  ] as const) {
    describe(name, () => {
      const secret = generateWebhookSecret();
      it('accepts a fresh signature', () => {
        expect(verify(secret, { ...signedHeaders([secret], 'evt_0123456789', body) }, body)).toBe(true);
      });
      it('refuses a changed body', () => {
        expect(verify(secret, { ...signedHeaders([secret], 'evt_0123456789', body) }, body.replace('message', 'massage'))).toBe(false);
      });
      it('refuses a timestamp older than 5 minutes', () => {
        const old = Math.floor(Date.now() / 1000) - 301;
        expect(verify(secret, { ...signedHeaders([secret], 'evt_0123456789', body, old) }, body)).toBe(false);
      });
      it('refuses a signature made with another secret', () => {
        expect(verify(secret, { ...signedHeaders([generateWebhookSecret()], 'evt_0123456789', body) }, body)).toBe(false);
      });
      it('refuses a signature moved to another webhook-id', () => {
        const headers = signedHeaders([secret], 'evt_0123456789', body);
        expect(verify(secret, { ...headers, 'webhook-id': 'evt_9999999999' }, body)).toBe(false);
      });
      it('accepts either secret while a rotation signs with both', () => {
        const next = generateWebhookSecret();
        const headers = { ...signedHeaders([next, secret], 'evt_0123456789', body) };
        expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
        expect(verify(secret, headers, body)).toBe(true);
        expect(verify(next, headers, body)).toBe(true);
        expect(verify(generateWebhookSecret(), headers, body)).toBe(false);
      });
    });
  }

  it('joins one v1 signature per secret with a space', () => {
    expect(signatureHeader(['whsec_AAAA', 'whsec_BBBB'], 'evt_x', 1, 'b')).toMatch(/^v1,\S+ v1,\S+$/);
  });
});

describe('secret box', () => {
  const box = createSecretBox(Buffer.alloc(32, 7));
  it('round-trips a secret and stores no plaintext', () => {
    const sealed = box.seal('whsec_secret', 'whk_1');
    expect(sealed).not.toContain('secret');
    expect(box.open(sealed, 'whk_1')).toBe('whsec_secret');
  });
  it("refuses a ciphertext copied onto another endpoint's row", () => {
    expect(() => box.open(box.seal('whsec_secret', 'whk_1'), 'whk_2')).toThrow();
  });
  it('refuses a different key', () => {
    expect(() => createSecretBox(Buffer.alloc(32, 8)).open(box.seal('whsec_secret', 'whk_1'), 'whk_1')).toThrow();
  });
});
