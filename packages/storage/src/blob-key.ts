/** Thrown for a key or prefix that could escape the store's root or means different things per adapter. */
export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid blob key ${JSON.stringify(key)}: ${reason}`);
  }
}

const MAX_KEY_BYTES = 1024; // S3's own limit; keeping it in both adapters keeps them interchangeable.

function checkCommon(key: string): void {
  if (key.startsWith('/')) throw new InvalidBlobKeyError(key, 'must not start with "/"');
  if (key.includes('\\')) throw new InvalidBlobKeyError(key, 'must not contain a backslash');
  if (key.includes('\0')) throw new InvalidBlobKeyError(key, 'must not contain NUL');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidBlobKeyError(key, `must be at most ${MAX_KEY_BYTES} bytes`);
  }
}

function checkSegment(key: string, segment: string): void {
  if (segment === '') throw new InvalidBlobKeyError(key, 'must not contain empty segments ("//")');
  if (segment === '.' || segment === '..') {
    throw new InvalidBlobKeyError(key, `must not contain "${segment}" segments`);
  }
}

/** Throws InvalidBlobKeyError unless `key` names one object: `a/b/c.json`. */
export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidBlobKeyError(String(key), 'must not be empty');
  checkCommon(key);
  for (const segment of key.split('/')) checkSegment(key, segment);
}

/**
 * Throws unless `prefix` may start keys: empty (everything), `media/s1/` or a partial last
 * segment such as `media/s1/img`. Only the last segment may be empty (a trailing slash).
 */
export function assertBlobPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidBlobKeyError(String(prefix), 'prefix must be a string');
  if (prefix === '') return;
  checkCommon(prefix);
  const segments = prefix.split('/');
  // The last segment is partial: `..` may still become the valid `..b`, so it is not checked.
  segments.pop();
  for (const segment of segments) checkSegment(prefix, segment);
}
