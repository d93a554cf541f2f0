import { describe, expect, it } from 'vitest';
import { loginBody, refreshBody, registerBody, user } from './auth.js';
import { apiKey, connectSessionBody, createApiKeyBody, createSessionBody, createSessionResponse, qrResponse, session } from './sessions.js';

const now = '2026-01-01T00:00:00.000Z';

describe('registerBody', () => {
  it('trims and lowercases the email', () => {
    expect(registerBody.parse({ email: '  Ann@Example.COM ', password: 'correct horse' })).toEqual({
      email: 'ann@example.com',
      password: 'correct horse',
    });
  });
  it('rejects a short or huge password, a bad email and unknown fields', () => {
    expect(registerBody.safeParse({ email: 'a@b.co', password: 'short' }).success).toBe(false);
    expect(registerBody.safeParse({ email: 'a@b.co', password: 'x'.repeat(129) }).success).toBe(false);
    expect(registerBody.safeParse({ email: 'not-an-email', password: 'longenough' }).success).toBe(false);
    expect(registerBody.safeParse({ email: 'a@b.co', password: 'longenough', role: 'ADMIN' }).success).toBe(false);
  });
  it('lets login take any non-empty password', () => {
    expect(loginBody.safeParse({ email: 'a@b.co', password: 'x' }).success).toBe(true);
    expect(refreshBody.safeParse({}).success).toBe(false);
  });
});

describe('user view', () => {
  it('never carries a password hash', () => {
    const parsed = user.parse({
      id: 'usr_1',
      email: 'a@b.co',
      role: 'USER',
      tier: 'BASIC',
      isActive: true,
      createdAt: now,
      passwordHash: '$2b$12$…',
    });
    expect(parsed).not.toHaveProperty('passwordHash');
  });
});

describe('session', () => {
  const card = { id: 'ses_1', name: 'Shop', status: 'DISCONNECTED', phoneNumber: null, createdAt: now, updatedAt: now, lastActivityAt: null };
  it('parses without workerId and keeps it when present', () => {
    expect(session.parse(card)).toEqual(card);
    expect(session.parse({ ...card, workerId: 'wrk_1' })).toMatchObject({ workerId: 'wrk_1' });
  });
  it('rejects an unknown status', () => {
    expect(session.safeParse({ ...card, status: 'ONLINE' }).success).toBe(false);
  });
  it('requires a non-blank name on create', () => {
    expect(createSessionBody.safeParse({ name: '   ' }).success).toBe(false);
    expect(createSessionBody.parse({ name: ' Shop ' })).toEqual({ name: 'Shop' });
  });
  it('shows the key in the create response and not in the list view', () => {
    const key = { id: 'key_1', name: 'default', prefix: 'wg_live_ab', createdAt: now, expiresAt: null, lastUsedAt: null };
    expect(createSessionResponse.parse({ session: card, apiKey: { ...key, key: 'wg_live_secret' } }).apiKey.key).toBe('wg_live_secret');
    expect(apiKey.parse({ ...key, key: 'wg_live_secret', keyHash: 'h' })).toEqual(key);
    expect(createApiKeyBody.safeParse({ name: 'ci', expiresAt: 'tomorrow' }).success).toBe(false);
  });
});

describe('connectSessionBody', () => {
  it('accepts an empty or absent body and a QR request', () => {
    expect(connectSessionBody.safeParse({}).success).toBe(true);
    expect(connectSessionBody.parse(null)).toEqual({});
    expect(connectSessionBody.parse(undefined)).toEqual({});
    expect(connectSessionBody.safeParse({ method: 'qr' }).success).toBe(true);
  });
  it('requires phoneNumber for pairing_code', () => {
    const result = connectSessionBody.safeParse({ method: 'pairing_code' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['phoneNumber']);
    expect(connectSessionBody.safeParse({ method: 'pairing_code', phoneNumber: '+6281234567890' }).success).toBe(true);
  });
  it('rejects other methods', () => {
    expect(connectSessionBody.safeParse({ method: 'sms' }).success).toBe(false);
  });
});

describe('qrResponse', () => {
  it('wants the image as a PNG data URL', () => {
    expect(qrResponse.safeParse({ qr: '2@abc', image: 'data:image/png;base64,iVBOR', expiresAt: now }).success).toBe(true);
    expect(qrResponse.safeParse({ qr: '2@abc', image: 'https://x/qr.png', expiresAt: now }).success).toBe(false);
  });
});
