import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  size: number;
  contentType?: string;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string;
}

export interface ListPage {
  items: BlobInfo[];
  /** Pass back to get the next page; null at the end. */
  cursor: string | null;
}

/**
 * Object storage addressed by slash-separated keys (`auth/<session>/creds.json`).
 * Keys are validated: no `..` segments, no leading slash, no empty segments.
 */
export interface BlobStore {
  /** Writes the whole object, replacing any previous one; a stream is consumed to the end. */
  put(key: string, body: Uint8Array | string | Readable, options?: PutOptions): Promise<void>;
  /** The object's bytes, or null when absent. */
  get(key: string): Promise<Buffer | null>;
  /** The object as a stream (for large media), or null when absent. */
  getStream(key: string): Promise<Readable | null>;
  /** Size, type and time of the object, or null when absent. */
  head(key: string): Promise<BlobInfo | null>;
  /** One page of objects whose key starts with `prefix`, in key order. */
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  /** Deletes the object; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Resolves when the backing store answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
