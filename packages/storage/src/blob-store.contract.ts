import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBlobKeyError } from './blob-key.js';
import type { BlobStore } from './blob-store.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A stream of `size` pseudo-random bytes in 64 KiB chunks, and the SHA-256 it will hash to. */
function randomStream(size: number): { stream: Readable; sha256: string } {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for (let left = size; left > 0; left -= 65536) chunks.push(randomBytes(Math.min(65536, left)));
  for (const chunk of chunks) hash.update(chunk);
  return { stream: Readable.from(chunks), sha256: hash.digest('hex') };
}

function byteOrder(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * The behaviour every BlobStore adapter must show. `make` is called once per suite; each test
 * writes under its own top-level prefix so the store may be shared.
 */
export function describeBlobStoreContract(name: string, make: () => BlobStore | Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => {
      await store.close();
    });

    it('round-trips bytes and UTF-8 strings', async () => {
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
      await store.put('rt/bytes.bin', bytes);
      await store.put('rt/text.txt', 'héllo 👋 wörld');
      await store.put('rt/empty', '');
      expect(await store.get('rt/bytes.bin')).toEqual(Buffer.from(bytes));
      expect((await store.get('rt/text.txt'))?.toString('utf8')).toBe('héllo 👋 wörld');
      expect(await store.get('rt/empty')).toEqual(Buffer.alloc(0));
    });

    it('returns null for an absent object from get, getStream and head', async () => {
      expect(await store.get('absent/x')).toBeNull();
      expect(await store.getStream('absent/x')).toBeNull();
      expect(await store.head('absent/x')).toBeNull();
    });

    it('replaces an object on overwrite, content type included', async () => {
      await store.put('ow/doc', 'first version', { contentType: 'text/plain' });
      await store.put('ow/doc', '{"v":2}', { contentType: 'application/json' });
      expect((await store.get('ow/doc'))?.toString()).toBe('{"v":2}');
      const info = await store.head('ow/doc');
      expect(info).toMatchObject({ key: 'ow/doc', size: 7, contentType: 'application/json' });
    });

    it('reports size, type and time in head', async () => {
      const before = Date.now();
      await store.put('hd/img.png', Buffer.alloc(1234, 7), { contentType: 'image/png' });
      const info = await store.head('hd/img.png');
      expect(info?.key).toBe('hd/img.png');
      expect(info?.size).toBe(1234);
      expect(info?.contentType).toBe('image/png');
      expect(info?.lastModified).toBeInstanceOf(Date);
      // Second granularity on S3.
      expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    });

    it('keeps keys with spaces, unicode and dots apart', async () => {
      const keys = ['uni/a b.txt', 'uni/ünï/cödé.json', 'uni/.hidden', 'uni/..dots', 'uni/x.y.z'];
      for (const key of keys) await store.put(key, key);
      for (const key of keys) expect((await store.get(key))?.toString()).toBe(key);
      const page = await store.list('uni/');
      expect(page.items.map((i) => i.key)).toEqual(byteOrder(keys));
    });

    it('lists a prefix in key order, page by page with a cursor', async () => {
      const inside = Array.from({ length: 25 }, (_, i) => `ls/a/item-${String(i).padStart(2, '0')}`);
      const nested = ['ls/a/m/deep/1', 'ls/a/m/deep/2', 'ls/a/z/1'];
      const outside = ['ls/ab', 'ls/b/x', 'lsa/a/x', 'ls/_'];
      for (const key of [...inside, ...nested, ...outside]) await store.put(key, 'x');
      const expected = byteOrder([...inside, ...nested]);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list('ls/a/', { limit: 10, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(10);
        seen.push(...page.items.map((i) => i.key));
        for (const item of page.items) {
          expect(item.size).toBe(1);
          expect(item.lastModified).toBeInstanceOf(Date);
        }
        cursor = page.cursor ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(expected);
      expect(pages).toBe(3);
      // A page that ends exactly at the last key says so.
      const all = await store.list('ls/a/', { limit: 28 });
      expect(all.items).toHaveLength(28);
      expect(all.cursor).toBeNull();
    });

    it('treats a prefix as a string prefix, not only a folder', async () => {
      for (const key of ['pf/media/img-1', 'pf/media/img-2', 'pf/media/doc-1', 'pf/mediaX/img-3']) await store.put(key, 'x');
      expect((await store.list('pf/media/img')).items.map((i) => i.key)).toEqual(['pf/media/img-1', 'pf/media/img-2']);
      expect((await store.list('pf/media')).items.map((i) => i.key)).toEqual(['pf/media/doc-1', 'pf/media/img-1', 'pf/media/img-2', 'pf/mediaX/img-3']);
      expect(await store.list('pf/none/')).toEqual({ items: [], cursor: null });
    });

    it('deletes idempotently', async () => {
      await store.put('del/one', 'x');
      await store.delete('del/one');
      expect(await store.get('del/one')).toBeNull();
      await expect(store.delete('del/one')).resolves.toBeUndefined();
      await expect(store.delete('del/never/existed')).resolves.toBeUndefined();
    });

    it('deletes everything under a prefix and says how many', async () => {
      const doomed = Array.from({ length: 23 }, (_, i) => `dp/x/${i % 3}/f${i}`);
      const kept = ['dp/x-other', 'dp/y/1', 'dp/x0'];
      for (const key of [...doomed, ...kept]) await store.put(key, 'x');
      expect(await store.deletePrefix('dp/x/')).toBe(23);
      expect((await store.list('dp/')).items.map((i) => i.key)).toEqual(byteOrder(kept));
      expect(await store.deletePrefix('dp/x/')).toBe(0);
      // The folder is gone, so the same key can be written again.
      await store.put('dp/x/0/f0', 'again');
      expect((await store.get('dp/x/0/f0'))?.toString()).toBe('again');
    });

    it('streams a multi-megabyte object in and out', async () => {
      const size = 12 * 1024 * 1024 + 321; // more than two 5 MiB parts on S3
      const { stream, sha256 } = randomStream(size);
      await store.put('big/video.mp4', stream, { contentType: 'video/mp4' });
      const info = await store.head('big/video.mp4');
      expect(info).toMatchObject({ size, contentType: 'video/mp4' });
      const out = await store.getStream('big/video.mp4');
      expect(out).not.toBeNull();
      const back = await readAll(out!);
      expect(back.length).toBe(size);
      expect(createHash('sha256').update(back).digest('hex')).toBe(sha256);
      expect(createHash('sha256').update((await store.get('big/video.mp4'))!).digest('hex')).toBe(sha256);
    });

    it('streams a small object in and out', async () => {
      await store.put('small/s.txt', Readable.from([Buffer.from('ab'), Buffer.from('cd')]), { contentType: 'text/plain' });
      expect((await readAll((await store.getStream('small/s.txt'))!)).toString()).toBe('abcd');
      expect(await store.head('small/s.txt')).toMatchObject({ size: 4, contentType: 'text/plain' });
    });

    it('rejects invalid keys before touching storage', async () => {
      const bad = ['', '/abs', 'a//b', 'a/../b', '../up', './a', 'a/.', 'a/..', 'a\\b', 'nul\0byte', 'trailing/'];
      for (const key of bad) {
        await expect(store.put(key, 'x'), key).rejects.toThrow(InvalidBlobKeyError);
        await expect(store.get(key), key).rejects.toThrow(InvalidBlobKeyError);
        await expect(store.getStream(key), key).rejects.toThrow(InvalidBlobKeyError);
        await expect(store.head(key), key).rejects.toThrow(InvalidBlobKeyError);
        await expect(store.delete(key), key).rejects.toThrow(InvalidBlobKeyError);
      }
      for (const prefix of ['/abs', '../x', 'a//', 'a/../', 'x\\y']) {
        await expect(store.list(prefix), prefix).rejects.toThrow(InvalidBlobKeyError);
        await expect(store.deletePrefix(prefix), prefix).rejects.toThrow(InvalidBlobKeyError);
      }
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
