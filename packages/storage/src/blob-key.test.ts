import { describe, expect, it } from 'vitest';
import { assertBlobKey, assertBlobPrefix, InvalidBlobKeyError } from './blob-key.js';

describe('blob keys', () => {
  it.each(['a', 'auth/s1/creds.json', 'media/s1/images/ünï code.jpg', '.hidden/..x/a..b', 'a/b-c_d~e'])('accepts %j', (key) => {
    expect(() => assertBlobKey(key)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['/etc/passwd', /start with "\/"/],
    ['a//b', /empty segments/],
    ['a/', /empty segments/],
    ['a/../../etc', /"\.\." segments/],
    ['./a', /"\." segments/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['x'.repeat(1025), /at most 1024 bytes/],
  ])('rejects %j with a clear message', (key, message) => {
    expect(() => assertBlobKey(key)).toThrow(InvalidBlobKeyError);
    expect(() => assertBlobKey(key)).toThrow(message);
  });

  it('accepts prefixes ending mid-segment or with a slash, and the empty prefix', () => {
    for (const prefix of ['', 'media/', 'media/s1/img', 'a/..', 'a/.']) expect(() => assertBlobPrefix(prefix)).not.toThrow();
    for (const prefix of ['/a', 'a//', '../', 'a/../b/', 'a\\']) expect(() => assertBlobPrefix(prefix)).toThrow(InvalidBlobKeyError);
  });
});
