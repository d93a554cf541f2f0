import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { base64Payload, httpUrl, id, jid, listOf, listQuery, MEDIA_BASE64_MAX_CHARS, phoneNumber, recipient } from './common.js';

describe('phoneNumber', () => {
  it.each(['+6281234567890', '6281234567890', '+1234567', '123456789012345'])('accepts %s', (value) => {
    expect(phoneNumber.safeParse(value).success).toBe(true);
  });
  it.each(['+0812345678', '123456', '1234567890123456', '+62 812 3456', '62-812-3456', 'abc', ''])('rejects %s', (value) => {
    expect(phoneNumber.safeParse(value).success).toBe(false);
  });
});

describe('recipient and jid', () => {
  it.each([
    '+6281234567890',
    '6281234567890@s.whatsapp.net',
    '6281234567890:12@s.whatsapp.net',
    '120363041234567890@g.us',
    '6281234567890-1600000000@g.us',
    '123456789012345@lid',
  ])('accepts %s', (value) => {
    expect(recipient.safeParse(value).success).toBe(true);
  });
  it.each(['status@broadcast', 'foo@g.us', '62812@example.com', '6281234567890@s.whatsapp.net.evil', '0812345678'])(
    'rejects %s',
    (value) => {
      expect(recipient.safeParse(value).success).toBe(false);
    },
  );
  it('rejects a bare phone number as a jid', () => {
    expect(jid.safeParse('+6281234567890').success).toBe(false);
  });
});

describe('id', () => {
  it('accepts uuids, prefixed ids and WhatsApp message ids', () => {
    for (const value of ['0192f1c4-7b7e-7cc0-9f5e-1a2b3c4d5e6f', 'ses_abc123', '3EB0C767D26A1D9D0C53']) {
      expect(id.safeParse(value).success).toBe(true);
    }
  });
  it('rejects path traversal, spaces and overlong ids', () => {
    for (const value of ['../etc', 'a b', '', 'x'.repeat(129), '/abs']) expect(id.safeParse(value).success).toBe(false);
  });
});

describe('httpUrl', () => {
  it('accepts http and https', () => {
    expect(httpUrl.safeParse('https://example.com/hook?x=1').success).toBe(true);
    expect(httpUrl.safeParse('http://localhost:8080/').success).toBe(true);
  });
  it.each(['ftp://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'example.com'])('rejects %s', (value) => {
    expect(httpUrl.safeParse(value).success).toBe(false);
  });
});

describe('base64Payload', () => {
  it('accepts padded base64', () => {
    expect(base64Payload.safeParse(Buffer.from('hello world').toString('base64')).success).toBe(true);
  });
  it('rejects a data: URL, unpadded input and anything over the 16 MB decoded cap', () => {
    expect(base64Payload.safeParse('data:image/png;base64,iVBORw0KGgo=').success).toBe(false);
    expect(base64Payload.safeParse('aGVsbG8').success).toBe(false);
    expect(base64Payload.safeParse('A'.repeat(MEDIA_BASE64_MAX_CHARS + 4)).success).toBe(false);
  });
  it('accepts exactly the cap', () => {
    expect(base64Payload.safeParse('A'.repeat(MEDIA_BASE64_MAX_CHARS)).success).toBe(true);
  });
});

describe('listQuery', () => {
  it('defaults limit to 20 and coerces query strings', () => {
    expect(listQuery.parse({})).toEqual({ limit: 20 });
    expect(listQuery.parse({ limit: '100', cursor: 'abc' })).toEqual({ limit: 100, cursor: 'abc' });
  });
  it.each(['101', '0', '-1', '2.5', 'ten'])('rejects limit=%s', (limit) => {
    expect(listQuery.safeParse({ limit }).success).toBe(false);
  });
});

describe('listOf', () => {
  const list = listOf(z.object({ id }));
  it('wraps items with a nullable nextCursor', () => {
    expect(list.parse({ data: [{ id: 'a' }], nextCursor: null })).toEqual({ data: [{ id: 'a' }], nextCursor: null });
  });
  it('requires nextCursor to be present', () => {
    expect(list.safeParse({ data: [] }).success).toBe(false);
  });
});
