// Key format `wg_live_<32 base62>_<6 base62 CRC32>`: the checksum lets us (and secret scanners)
// reject a mistyped or made-up key without a database lookup; the visible prefix identifies a key
// in lists without revealing it.
import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { API_KEY_PREFIX } from '../../http/authenticate.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_CHARS = 32; // ~190 bits
const CHECKSUM_CHARS = 6; // 62^6 > 2^32
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${RANDOM_CHARS}})_([0-9A-Za-z]{${CHECKSUM_CHARS}})$`);

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_CHARS);
}

export interface GeneratedApiKey {
  key: string;
  /** Shown in lists: the fixed prefix and the first 6 random characters. */
  prefix: string;
  hash: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): GeneratedApiKey {
  let random = '';
  // randomInt is uniform (no modulo bias) and cryptographically secure.
  for (let i = 0; i < RANDOM_CHARS; i++) random += ALPHABET[randomInt(62)];
  const body = `${API_KEY_PREFIX}${random}`;
  const key = `${body}_${checksum(body)}`;
  return { key, prefix: `${API_KEY_PREFIX}${random.slice(0, 6)}`, hash: hashApiKey(key) };
}

/** True when `key` has the shape and a matching checksum; says nothing about whether it exists. */
export function isWellFormedApiKey(key: string): boolean {
  const m = KEY_PATTERN.exec(key);
  return m !== null && checksum(`${API_KEY_PREFIX}${m[1]}`) === m[2];
}
