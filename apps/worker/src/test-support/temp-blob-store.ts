import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import * as storage from '@wagate/storage';
import type { BlobInfo, BlobStore, ListPage } from '@wagate/storage';

/**
 * A filesystem BlobStore in a fresh temp dir. Uses `@wagate/storage`'s FsBlobStore once that
 * package exports it; until then a minimal stand-in with the same key layout.
 */
export async function tempBlobStore(): Promise<{ blobs: BlobStore; dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'wagate-worker-'));
  const Real = (storage as Record<string, unknown>)['FsBlobStore'] as (new (options: { root: string }) => BlobStore) | undefined;
  const blobs = Real === undefined ? new MiniFsBlobStore(dir) : new Real({ root: dir });
  return { blobs, dir, cleanup: async () => { await blobs.close(); await rm(dir, { recursive: true, force: true }); } };
}

class MiniFsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}
  #path(key: string): string {
    if (key.startsWith('/') || key.split('/').some((s) => s === '' || s === '..')) throw new Error(`bad key ${key}`);
    return join(this.root, ...key.split('/'));
  }
  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    let data: Uint8Array | string;
    if (typeof body === 'string' || body instanceof Uint8Array) data = body;
    else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
      data = Buffer.concat(chunks);
    }
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }
  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.#path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
  async getStream(key: string): Promise<Readable | null> {
    const b = await this.get(key);
    return b === null ? null : ReadableStream.from([b]);
  }
  async head(key: string): Promise<BlobInfo | null> {
    try {
      const s = await stat(this.#path(key));
      return { key, size: s.size, lastModified: s.mtime };
    } catch {
      return null;
    }
  }
  async #all(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.endsWith('.tmp')) out.push(relative(this.root, p).split(sep).join('/'));
      }
    };
    await walk(this.root);
    return out.sort();
  }
  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const keys = (await this.#all()).filter((k) => k.startsWith(prefix) && (options.cursor === undefined || k > options.cursor));
    const limit = options.limit ?? 1000;
    const page = keys.slice(0, limit);
    const items = await Promise.all(page.map(async (k) => (await this.head(k)) as BlobInfo));
    return { items, cursor: keys.length > limit ? (page[page.length - 1] ?? null) : null };
  }
  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
  async deletePrefix(prefix: string): Promise<number> {
    const keys = (await this.#all()).filter((k) => k.startsWith(prefix));
    await Promise.all(keys.map((k) => this.delete(k)));
    return keys.length;
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
