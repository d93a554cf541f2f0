/** Object keys allow few characters everywhere (filesystem and S3): keep letters, digits, `_@-`, escape the rest. */
export function encodeKeyId(id: string): string {
  return id.replace(/[^A-Za-z0-9_@-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Paths of one session's auth state in the BlobStore. */
export function authPaths(sessionId: string): { root: string; creds: string; keys: string; epoch: string; key(type: string, id: string): string } {
  const root = `auth/${sessionId}/`;
  return {
    root,
    creds: `${root}creds.json`,
    keys: `${root}keys/`,
    epoch: `${root}epoch`,
    key: (type, id) => `${root}keys/${encodeKeyId(type)}/${encodeKeyId(id)}.json`,
  };
}

/**
 * Key types stored in shard objects instead of one object per key: a fresh session uploads 812
 * pre-keys at once, which is 812 PUTs (about 7 s on s3rver) per object but 7 in shards. Pre-keys
 * have numeric ids and are only ever added in bulk or deleted one by one.
 */
export const PACKED_TYPES = new Set(['pre-key']);
export const KEYS_PER_SHARD = 128;

export function parseShard(text: string | undefined): Record<string, string> {
  return text === undefined ? {} : (JSON.parse(text) as Record<string, string>);
}
