import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '@wagate/storage';
import { Keyring } from '../crypto/index.js';
import { tempBlobStore } from '../test-support/temp-blob-store.js';
import type { WhatsAppMessage } from '../whatsapp/index.js';
import { advanceStatus } from './history-fold.js';
import { HistoryStore, InvalidCursorError } from './history-store.js';

const keyring = new Keyring([{ id: 'k0', key: randomBytes(32) }]);
const PN = '15550001111@s.whatsapp.net';
const LID = '99887766@lid';
const T0 = Date.parse('2026-03-10T12:00:00Z');
let blobs: BlobStore;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ blobs, cleanup } = await tempBlobStore());
});
afterEach(async () => {
  await cleanup();
});

function msg(id: string, timestamp: number, overrides: Partial<WhatsAppMessage> = {}): WhatsAppMessage {
  return {
    id,
    chatId: PN,
    chatAliases: [PN, LID],
    fromMe: true,
    sender: undefined,
    senderName: undefined,
    timestamp,
    type: 'text',
    text: `text ${id}`,
    media: undefined,
    refId: undefined,
    status: 'pending',
    raw: undefined,
    ...overrides,
  };
}

const store = (o: { recentPerSession?: number } = {}) => new HistoryStore({ blobs, keyring, flushIntervalMs: 10_000, ...o });

describe('HistoryStore', () => {
  it('serves appended messages at once and from the store after a restart, encrypted', async () => {
    const a = store();
    a.appendMessages('s1', [msg('m1', T0, { text: 'secret words' })]);
    expect((await a.query('s1', { to: T0 + 1000 })).messages.map((m) => m.id)).toEqual(['m1']);
    await a.flush();
    const { items } = await blobs.list('history/s1/');
    expect(items).toHaveLength(1);
    expect(items[0]?.key).toMatch(/^history\/s1\/2026-03-10\/\d{15}-\d{6}-[0-9a-f]{6}\.json$/);
    expect((await blobs.get(items[0]!.key))!.toString('utf8')).not.toContain('secret words');
    const b = store();
    expect((await b.query('s1', { to: T0 + 1000 })).messages[0]).toMatchObject({ id: 'm1', text: 'secret words' });
  });

  it('appends status changes as new chunks and folds them on read, never rewriting a chunk', async () => {
    const a = store();
    a.appendMessages('s1', [msg('m1', T0)]);
    await a.flush();
    const first = (await blobs.list('history/s1/')).items[0]!;
    const firstBytes = await blobs.get(first.key);
    a.appendStatuses('s1', [{ id: 'm1', chatId: PN, status: 'read', timestamp: T0 + 5000 }]);
    await a.flush();
    // A late, out-of-order 'delivered' must not move the status back.
    a.appendStatuses('s1', [{ id: 'm1', chatId: PN, status: 'delivered', timestamp: T0 + 6000 }]);
    await a.flush();
    const items = (await blobs.list('history/s1/')).items;
    expect(items).toHaveLength(3);
    expect((await blobs.get(first.key))!.equals(firstBytes!)).toBe(true);
    expect((await store().query('s1', { to: T0 + 10_000 })).messages[0]?.status).toBe('read');
    expect((await a.getMessage('s1', 'm1'))?.status).toBe('read');
  });

  it('files a status in the day of its message', async () => {
    const a = store();
    a.appendMessages('s1', [msg('m1', T0)]);
    a.appendStatuses('s1', [{ id: 'm1', chatId: PN, status: 'delivered', timestamp: T0 + 2 * 86_400_000 }]);
    await a.flush();
    const days = new Set((await blobs.list('history/s1/')).items.map((i) => i.key.split('/')[2]));
    expect([...days]).toEqual(['2026-03-10']);
  });

  it('queries a chat by either alias and by time', async () => {
    const a = store();
    a.appendMessages('s1', [msg('m1', T0), msg('m2', T0 + 1000, { chatId: 'other@s.whatsapp.net', chatAliases: ['other@s.whatsapp.net'] }), msg('m3', T0 + 2000)]);
    await a.flush();
    const b = store();
    expect((await b.query('s1', { chatId: LID, to: T0 + 5000 })).messages.map((m) => m.id)).toEqual(['m3', 'm1']);
    expect((await b.query('s1', { chatId: PN, from: T0 + 1500, to: T0 + 5000 })).messages.map((m) => m.id)).toEqual(['m3']);
  });

  it('pages newest first across days with a cursor, without gaps or repeats', async () => {
    const a = store();
    const all = Array.from({ length: 120 }, (_, i) => msg(`m${String(i).padStart(3, '0')}`, T0 - i * 30 * 60_000));
    a.appendMessages('s1', all);
    await a.flush();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store().query('s1', { to: T0, from: T0 - 5 * 86_400_000, limit: 50, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((m) => m.id));
    await expect(a.query('s1', { cursor: 'nonsense' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('bounds the recent cache and still finds older messages in the store', async () => {
    const a = store({ recentPerSession: 5 });
    const now = Date.now();
    a.appendMessages('s1', Array.from({ length: 20 }, (_, i) => msg(`m${i}`, now - 1000 + i)));
    await a.flush();
    const reads: string[] = [];
    const get = blobs.get.bind(blobs);
    blobs.get = async (key) => {
      reads.push(key);
      return get(key);
    };
    expect((await a.getMessage('s1', 'm19'))?.id).toBe('m19');
    expect(reads).toHaveLength(0);
    expect((await a.getMessage('s1', 'm0'))?.id).toBe('m0');
    expect(reads.length).toBeGreaterThan(0);
  });

  it('a query listing the store while a flush lands still sees the flushed records', async () => {
    // The listing is taken, then the flush of the buffered records completes before the query
    // reads the buffer: the new chunk is not in the listing and the buffer is empty by then.
    const late: { store?: HistoryStore } = {};
    let flushDuringList = false;
    const racing: BlobStore = Object.assign(Object.create(blobs) as BlobStore, {
      list: async (...args: Parameters<BlobStore['list']>) => {
        const page = await blobs.list(...args);
        if (flushDuringList) {
          flushDuringList = false;
          await late.store?.flush('s1');
        }
        return page;
      },
    });
    const store = new HistoryStore({ blobs: racing, keyring, flushIntervalMs: 60_000 });
    late.store = store;
    store.appendMessages('s1', [msg('old', T0)]);
    await store.flush('s1');
    store.appendMessages('s1', [msg('new', T0 + 1000)]);
    flushDuringList = true;
    const page = await store.query('s1', { to: T0 + 60_000 });
    expect(page.messages.map((m) => m.id)).toEqual(['new', 'old']);
    // And nothing is kept for reads once none is in progress.
    expect((await store.query('s1', { to: T0 + 60_000 })).messages.map((m) => m.id)).toEqual(['new', 'old']);
    await store.close();
  });

  it('deletes a session', async () => {
    const a = store();
    a.appendMessages('s1', [msg('m1', T0)]);
    await a.flush();
    await a.deleteSession('s1');
    expect((await blobs.list('history/')).items).toHaveLength(0);
  });
});

describe('advanceStatus', () => {
  it('only moves forward, and failure only before delivery', () => {
    expect(advanceStatus('delivered', 'sent')).toBe('delivered');
    expect(advanceStatus('sent', 'read')).toBe('read');
    expect(advanceStatus('pending', 'failed')).toBe('failed');
    expect(advanceStatus('delivered', 'failed')).toBe('delivered');
    expect(advanceStatus(undefined, 'sent')).toBe('sent');
  });
});

describe('HistoryStore ordering', () => {
  it('keeps a status that arrived before its message', async () => {
    const { blobs: b, cleanup: c } = await tempBlobStore();
    try {
      const h = new HistoryStore({ blobs: b, keyring, flushIntervalMs: 10_000 });
      const now = Date.now();
      h.appendStatuses('s1', [{ id: 'early', chatId: PN, status: 'read', timestamp: now }]);
      h.appendMessages('s1', [msg('early', now)]);
      expect((await h.getMessage('s1', 'early'))?.status).toBe('read');
      await h.flush();
      expect((await new HistoryStore({ blobs: b, keyring }).getMessage('s1', 'early'))?.status).toBe('read');
    } finally {
      await c();
    }
  });
});
