import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, type Dirent } from 'node:fs';
import { access, mkdir, open, type FileHandle, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBlobKey, assertBlobPrefix } from './blob-key.js';
import { decodeCursor, encodeCursor, pageLimit, toBuffer } from './blob-list.js';
import type { BlobInfo, BlobStore, ListPage, PutOptions } from './blob-store.js';
import { decodeHeader, encodeHeader, readHeader, type BlobHeader } from './fs-blob-header.js';

export interface FsBlobStoreOptions {
  /** Folder holding the objects; created on first write. */
  root: string;
}

interface OpenObject {
  file: FileHandle;
  header: BlobHeader;
  headerLength: number;
}

const TEMP_PATTERN = /^\.wagate-tmp-[0-9a-f]{16}$/;
/** Codes meaning "no object here": missing, or the path crosses/ends at the wrong kind of entry. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * Objects as files under `root`: key `a/b/c.json` is the file `root/a/b/c.json`, starting with a
 * one-line metadata header (see fs-blob-header.ts). Writes go to a temp file in the same folder and
 * are renamed into place, so readers see the old or the new object, never half of one. Unlike S3,
 * a key cannot also be the folder of other keys (`a/b` and `a/b/c`); such a put is refused.
 */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(options: FsBlobStoreOptions) {
    this.root = path.resolve(options.root);
  }

  async put(key: string, body: Uint8Array | string | Readable, options: PutOptions = {}): Promise<void> {
    const target = this.file(key);
    const header = encodeHeader(options.contentType === undefined ? {} : { contentType: options.contentType });
    // A stream can be consumed only once, so only a bytes body may retry after a pruned folder.
    const attempts = body instanceof Readable ? 1 : 3;
    for (let attempt = 1; ; attempt++) {
      const temp = path.join(path.dirname(target), `.wagate-tmp-${randomBytes(8).toString('hex')}`);
      try {
        await mkdir(path.dirname(target), { recursive: true });
        if (body instanceof Readable) {
          const out = createWriteStream(temp, { flags: 'wx', flush: true });
          try {
            await pipeline(withHeader(header, body), out);
          } catch (error) {
            // A source that fails at once rejects the pipeline before the file is even open; the
            // stream then opens and closes it later, so the clean-up below must wait for that.
            if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
            throw error;
          }
        } else {
          await writeFile(temp, Buffer.concat([header, toBuffer(body)]), { flag: 'wx', flush: true });
        }
        await rename(temp, target);
        return;
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        const code = errorCode(error);
        if (code === 'ENOENT' && attempt < attempts) continue; // a concurrent delete pruned the folder
        if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
          throw new Error(`Blob key ${JSON.stringify(key)} conflicts with an existing key: the filesystem store cannot hold both "a/b" and "a/b/…"`, { cause: error });
        }
        throw error;
      }
    }
  }

  async get(key: string): Promise<Buffer | null> {
    const file = this.file(key);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return null;
      throw error;
    }
    return data.subarray(decodeHeader(data).length);
  }

  async getStream(key: string): Promise<Readable | null> {
    const handle = await this.openObject(this.file(key));
    if (!handle) return null;
    // Streaming from the handle we read the header from keeps header and body of one version together.
    return handle.file.createReadStream({ start: handle.headerLength, autoClose: true });
  }

  async head(key: string): Promise<BlobInfo | null> {
    return this.info(key, this.file(key));
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    assertBlobPrefix(prefix);
    const limit = pageLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor) : null;
    const keys: string[] = [];
    for await (const key of this.walk(this.root, '', prefix, after)) {
      keys.push(key);
      if (keys.length > limit) break;
    }
    const page = keys.slice(0, limit);
    const infos = await Promise.all(page.map((key) => this.info(key, this.pathOf(key))));
    const last = page.at(-1);
    return {
      // An object deleted between the walk and its head is simply left out.
      items: infos.filter((info): info is BlobInfo => info !== null),
      cursor: keys.length > limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    try {
      await unlink(file);
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return;
      throw error;
    }
    await this.prune(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertBlobPrefix(prefix);
    let count = 0;
    const folders = new Set<string>();
    for await (const key of this.walk(this.root, '', prefix, null)) {
      const file = this.pathOf(key);
      try {
        await unlink(file);
        count++;
        folders.add(path.dirname(file));
      } catch (error) {
        if (!ABSENT.has(errorCode(error))) throw error;
      }
    }
    // Deepest first, so a parent is tried only after its children are gone.
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) await this.prune(folder);
    return count;
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  private file(key: string): string {
    assertBlobKey(key);
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private async openObject(file: string): Promise<OpenObject | null> {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return null;
      throw error;
    }
    try {
      const { header, length } = await readHeader(handle);
      return { file: handle, headerLength: length, header };
    } catch (error) {
      await handle.close();
      if (ABSENT.has(errorCode(error))) return null; // opening a folder succeeds; reading it says EISDIR
      throw error;
    }
  }

  private async info(key: string, file: string): Promise<BlobInfo | null> {
    assertBlobKey(key);
    const handle = await this.openObject(file);
    if (!handle) return null;
    try {
      const stat = await handle.file.stat();
      const info: BlobInfo = { key, size: stat.size - handle.headerLength, lastModified: stat.mtime };
      if (handle.header.contentType !== undefined) info.contentType = handle.header.contentType;
      return info;
    } finally {
      await handle.file.close();
    }
  }

  /** Keys under `dir` that start with `prefix` and sort after `after`, in S3's (UTF-8 byte) order. */
  private async *walk(dir: string, dirKey: string, prefix: string, after: string | null): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return;
      throw error;
    }
    // A folder sorts as `name/`, which places its keys exactly where S3 would list them.
    const sorted = entries
      .filter((e) => (e.isFile() || e.isDirectory()) && !TEMP_PATTERN.test(e.name))
      .map((e) => ({ key: dirKey + e.name + (e.isDirectory() ? '/' : ''), name: e.name, folder: e.isDirectory() }))
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const entry of sorted) {
      if (entry.folder) {
        if (!entry.key.startsWith(prefix) && !prefix.startsWith(entry.key)) continue;
        // Every key inside starts with `entry.key`; if the cursor is past them all, skip the folder.
        if (after !== null && compareKeys(entry.key, after) < 0 && !after.startsWith(entry.key)) continue;
        yield* this.walk(path.join(dir, entry.name), entry.key, prefix, after);
      } else {
        if (!entry.key.startsWith(prefix)) continue;
        if (after !== null && compareKeys(entry.key, after) <= 0) continue;
        yield entry.key;
      }
    }
  }

  /** Removes now-empty folders from `folder` up to (not including) the root. */
  private async prune(folder: string): Promise<void> {
    for (let dir = folder; dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): its parents are not empty either
      }
    }
  }
}

async function* withHeader(header: Buffer, body: Readable): AsyncGenerator<Buffer | string> {
  yield header;
  for await (const chunk of body) yield chunk as Buffer | string;
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function errorCode(error: unknown): string {
  return error && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? error.code : '';
}
