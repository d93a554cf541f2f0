import type { FileHandle } from 'node:fs/promises';

/**
 * Every object file starts with one JSON line holding its metadata, then the bytes. One file per
 * object keeps a write atomic (temp file + rename) without sidecar files that listings must hide
 * or that could collide with a user's key.
 */
export interface BlobHeader {
  contentType?: string;
}

const MAGIC = 'WAGATE-BLOB/1 ';
const MAX_HEADER_BYTES = 4096;

export function encodeHeader(header: BlobHeader): Buffer {
  const bytes = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
  if (bytes.length > MAX_HEADER_BYTES) throw new RangeError('blob content type is too long');
  return bytes;
}

/** The header and its length in bytes, read from the start of an open object file. */
export async function readHeader(file: FileHandle): Promise<{ header: BlobHeader; length: number }> {
  const buffer = Buffer.alloc(MAX_HEADER_BYTES);
  const { bytesRead } = await file.read(buffer, 0, MAX_HEADER_BYTES, 0);
  return decodeHeader(buffer.subarray(0, bytesRead));
}

export function decodeHeader(bytes: Buffer): { header: BlobHeader; length: number } {
  const end = bytes.indexOf(0x0a);
  if (end < 0 || !bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) {
    throw new Error('not a WAGate blob file (missing header)');
  }
  const parsed: unknown = JSON.parse(bytes.subarray(MAGIC.length, end).toString('utf8'));
  const header: BlobHeader = {};
  if (parsed && typeof parsed === 'object' && 'contentType' in parsed && typeof parsed.contentType === 'string') {
    header.contentType = parsed.contentType;
  }
  return { header, length: end + 1 };
}
