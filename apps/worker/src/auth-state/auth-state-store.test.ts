import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '@wagate/storage';
import { Keyring } from '../crypto/index.js';
import { tempBlobStore } from '../test-support/temp-blob-store.js';
import { AuthStateStore, StaleEpochError, encodeKeyId } from './auth-state-store.js';
import type { AuthStateStoreOptions } from './auth-state-store.js';

const keyring = new Keyring([{ id: 'k0', key: randomBytes(32) }]);
let blobs: BlobStore;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ blobs, cleanup } = await tempBlobStore());
});
afterEach(async () => {
  await cleanup();
});

function store(overrides: Partial<AuthStateStoreOptions> = {}): AuthStateStore {
  return new AuthStateStore({ blobs, keyring, sessionId: 's1', epoch: 1, workerId: 'w1', flushDelayMs: 20, ...overrides });
}

describe('AuthStateStore', () => {
  it('stores creds encrypted and reads them back from a new store', async () => {
    const a = store();
    await a.claim();
    await a.writeCreds('{"noiseKey":"SECRET-NOISE"}');
    const raw = await blobs.get('auth/s1/creds.json');
    expect(raw?.toString('utf8')).not.toContain('SECRET-NOISE');
    expect(await store().readCreds()).toBe('{"noiseKey":"SECRET-NOISE"}');
    expect(await store({ sessionId: 's2' }).readCreds()).toBeNull();
  });

  it('coalesces bursts of creds writes: latest wins, one write in flight', async () => {
    const a = store();
    await a.claim();
    const writes = Array.from({ length: 50 }, (_, i) => a.writeCreds(`{"n":${i}}`));
    await Promise.all(writes);
    expect(a.stats.credsWrites).toBeLessThanOrEqual(2);
    expect(await store().readCreds()).toBe('{"n":49}');
  });

  it('batches key sets made within the bound into one flush', async () => {
    const a = store({ flushDelayMs: 50 });
    await a.claim();
    const prekeys = Array.from({ length: 812 }, (_, i) => ({ type: 'pre-key', id: String(i + 1), value: `{"k":${i}}` }));
    const started = Date.now();
    await Promise.all([a.setKeys(prekeys.slice(0, 400)), a.setKeys(prekeys.slice(400)), a.setKeys([{ type: 'session', id: '123.0', value: 'x' }])]);
    const elapsed = Date.now() - started;
    expect(a.stats.keyFlushes).toBe(1);
    // 812 pre-keys pack into 7 shard objects (ids 1-127, 128-255, …); the session key is its own object.
    expect(a.stats.keysWritten).toBe(8);
    expect(a.stats.maxBatchWaitMs).toBeGreaterThanOrEqual(45);
    expect(a.stats.maxBatchWaitMs).toBeLessThan(50 + 40);
    const listed = await blobs.list('auth/s1/keys/pre-key/', { limit: 1000 });
    expect(listed.items.map((i) => i.key.split('/').pop())).toEqual(Array.from({ length: 7 }, (_, i) => `shard-${i}.json`));
    const bytes = listed.items.reduce((n, i) => n + i.size, 0);
    const fresh = store();
    const got = await fresh.getKeys('pre-key', ['1', '128', '812', '813']);
    expect(Object.fromEntries(got)).toEqual({ '1': '{"k":0}', '128': '{"k":127}', '812': '{"k":811}' });
    // Printed for the report: batch bound and the on-store size of a fresh prekey set.
    process.stdout.write(`[measure] 813 keys flushed in ${elapsed} ms (batch wait ${a.stats.maxBatchWaitMs} ms), ${bytes} bytes stored in ${listed.items.length} shards\n`);
  });

  it('records keys without waiting for the store, and a batch guard decides when a flush takes them', async () => {
    const a = store({ flushDelayMs: 5 });
    await a.claim();
    let allow!: () => void;
    let released = 0;
    a.setBatchGuard(() => new Promise((resolve) => (allow = () => resolve(() => released++))));
    expect(await a.recordKeys([{ type: 'session', id: '1.0', value: 'ratchet-1' }])).toBe(true);
    // Readable at once, not stored while the guard holds the batch.
    expect(Object.fromEntries(await a.getKeys('session', ['1.0']))).toEqual({ '1.0': 'ratchet-1' });
    await new Promise((r) => setTimeout(r, 40));
    expect(Object.fromEntries(await store().getKeys('session', ['1.0']))).toEqual({});
    const flushed = a.flush();
    allow();
    await flushed;
    expect(released).toBe(1);
    expect(Object.fromEntries(await store().getKeys('session', ['1.0']))).toEqual({ '1.0': 'ratchet-1' });
    // Another owner's guard is not removed by a stale one.
    let mineAsked = 0;
    const mine = async () => {
      mineAsked++;
      return () => undefined;
    };
    a.setBatchGuard(mine);
    a.clearBatchGuard(async () => () => undefined);
    await a.setKeys([{ type: 'session', id: '2.0', value: 'ratchet-2' }]);
    expect(released).toBe(1);
    expect(mineAsked).toBe(1);
    a.clearBatchGuard(mine);
    await a.setKeys([{ type: 'session', id: '3.0', value: 'ratchet-3' }]);
    expect(mineAsked).toBe(1);
    expect(Object.fromEntries(await store().getKeys('session', ['2.0', '3.0']))).toEqual({ '2.0': 'ratchet-2', '3.0': 'ratchet-3' });
  });

  it('returns only found ids, reads its own pending writes and deletes on null', async () => {
    const a = store();
    await a.claim();
    const pending = a.setKeys([
      { type: 'session', id: 'a.0', value: 'A' },
      { type: 'session', id: 'b.0', value: 'B' },
    ]);
    // Before the flush: reads see the writes.
    expect(Object.fromEntries(await a.getKeys('session', ['a.0', 'b.0', 'c.0']))).toEqual({ 'a.0': 'A', 'b.0': 'B' });
    await pending;
    await a.setKeys([{ type: 'session', id: 'a.0', value: null }]);
    expect(await blobs.get(`auth/s1/keys/session/${encodeKeyId('a.0')}.json`)).toBeNull();
    const fresh = store();
    expect(Object.fromEntries(await fresh.getKeys('session', ['a.0', 'b.0']))).toEqual({ 'b.0': 'B' });
  });

  it('keeps its key cache bounded and rereads evicted keys from the store', async () => {
    const a = store({ cacheSize: 3 });
    await a.claim();
    await a.setKeys(Array.from({ length: 10 }, (_, i) => ({ type: 'session', id: String(i), value: `v${i}` })));
    const before = a.stats.blobReads;
    expect((await a.getKeys('session', ['9'])).get('9')).toBe('v9');
    expect(a.stats.blobReads).toBe(before);
    expect((await a.getKeys('session', ['0'])).get('0')).toBe('v0');
    expect(a.stats.blobReads).toBe(before + 1);
  });

  it('refuses a stale worker: writes after a higher epoch claims throw StaleEpochError', async () => {
    const fencedBy: StaleEpochError[] = [];
    const old = store({ epoch: 1, workerId: 'w1', onFenced: (e) => fencedBy.push(e) });
    await old.claim();
    await old.writeCreds('{"v":"old"}');
    const next = store({ epoch: 2, workerId: 'w2' });
    await next.claim();
    await next.writeCreds('{"v":"new"}');

    await expect(old.writeCreds('{"v":"stale"}')).rejects.toBeInstanceOf(StaleEpochError);
    await expect(old.setKeys([{ type: 'session', id: 'x', value: 'y' }])).rejects.toThrow(/stale/);
    expect(fencedBy).toHaveLength(1);
    expect(old.fenced).toBe(true);
    expect(await store({ epoch: 2, workerId: 'w2' }).readCreds()).toBe('{"v":"new"}');
    expect(await blobs.get('auth/s1/keys/session/x.json')).toBeNull();
    // And the old epoch cannot take the session back.
    await expect(store({ epoch: 1, workerId: 'w1' }).claim()).rejects.toBeInstanceOf(StaleEpochError);
  });

  it('refuses writes once the session was deleted under it', async () => {
    const a = store();
    await a.claim();
    await blobs.deletePrefix('auth/s1/');
    await expect(a.writeCreds('{}')).rejects.toBeInstanceOf(StaleEpochError);
  });

  it('deleteAll removes creds and keys but keeps the epoch marker', async () => {
    const a = store();
    await a.claim();
    await a.writeCreds('{}');
    await a.setKeys([{ type: 'pre-key', id: '1', value: 'v' }]);
    await a.deleteAll();
    const left = await blobs.list('auth/s1/');
    expect(left.items.map((i) => i.key)).toEqual(['auth/s1/epoch']);
    expect(await a.getKeys('pre-key', ['1'])).toEqual(new Map());
  });

  it('retries a key flush that failed on a transient store error', async () => {
    let failPuts = 1;
    const flaky: BlobStore = {
      put: async (key, body, options) => {
        if (key.includes('/keys/') && failPuts-- > 0) throw new Error('store away');
        return blobs.put(key, body, options);
      },
      get: (key) => blobs.get(key),
      getStream: (key) => blobs.getStream(key),
      head: (key) => blobs.head(key),
      list: (prefix, options) => blobs.list(prefix, options),
      delete: (key) => blobs.delete(key),
      deletePrefix: (prefix) => blobs.deletePrefix(prefix),
      ping: () => blobs.ping(),
      close: () => blobs.close(),
    };
    const a = store({ blobs: flaky, writeConcurrency: 1 });
    await a.claim();
    await expect(a.setKeys([{ type: 'pre-key', id: '1', value: 'v' }])).rejects.toThrow('store away');
    await a.flush();
    expect(Object.fromEntries(await store().getKeys('pre-key', ['1']))).toEqual({ '1': 'v' });
  });

  it('escapes ids so every key is a valid object name', () => {
    expect(encodeKeyId('123456.0')).toBe('123456%2E0');
    expect(encodeKeyId('../x/y')).toBe('%2E%2E%2Fx%2Fy');
    expect(encodeKeyId('1234@lid')).toBe('1234@lid');
  });
});

describe('AuthStateStore read-your-writes', () => {
  it('returns creds whose write is still in flight', async () => {
    const { blobs: b, cleanup: c } = await tempBlobStore();
    try {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const slow: BlobStore = {
        put: async (key, body, options) => {
          if (key.endsWith('creds.json')) await gate;
          return b.put(key, body, options);
        },
        get: (key) => b.get(key),
        getStream: (key) => b.getStream(key),
        head: (key) => b.head(key),
        list: (prefix, options) => b.list(prefix, options),
        delete: (key) => b.delete(key),
        deletePrefix: (prefix) => b.deletePrefix(prefix),
        ping: () => b.ping(),
        close: () => b.close(),
      };
      const a = new AuthStateStore({ blobs: slow, keyring, sessionId: 's1', epoch: 1, workerId: 'w1' });
      await a.claim();
      const written = a.writeCreds('{"paired":true}');
      await new Promise((r) => setTimeout(r, 20));
      expect(await a.readCreds()).toBe('{"paired":true}');
      release();
      await written;
      expect(await a.readCreds()).toBe('{"paired":true}');
    } finally {
      await c();
    }
  });
});

describe('AuthStateStore pre-key shards', () => {
  it('deletes single pre-keys inside a shard and removes an emptied shard', async () => {
    const { blobs: b, cleanup: c } = await tempBlobStore();
    try {
      const a = new AuthStateStore({ blobs: b, keyring, sessionId: 's1', epoch: 1, workerId: 'w1', flushDelayMs: 5 });
      await a.claim();
      await a.setKeys([1, 2, 200].map((i) => ({ type: 'pre-key', id: String(i), value: `p${i}` })));
      // Concurrent sets on one shard must not lose each other's change.
      await Promise.all([a.setKeys([{ type: 'pre-key', id: '1', value: null }]), a.setKeys([{ type: 'pre-key', id: '3', value: 'p3' }])]);
      await a.setKeys([{ type: 'pre-key', id: '200', value: null }]);
      const fresh = new AuthStateStore({ blobs: b, keyring, sessionId: 's1', epoch: 1, workerId: 'w1' });
      expect(Object.fromEntries(await fresh.getKeys('pre-key', ['1', '2', '3', '200']))).toEqual({ '2': 'p2', '3': 'p3' });
      expect((await b.list('auth/s1/keys/pre-key/')).items.map((i) => i.key)).toEqual(['auth/s1/keys/pre-key/shard-0.json']);
    } finally {
      await c();
    }
  });
});
