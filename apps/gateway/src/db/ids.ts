// Random, never sequential ids with a readable type prefix (DESIGN.md §4): `usr_<22 chars>`.
import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = ['usr', 'ses', 'key', 'wkr', 'log', 'whk', 'dlv', 'usg', 'idm', 'wmt'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

/** `newId('usr')` → `usr_` + 128 random bits as 22 base64url characters. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

const ID_PATTERN = /^([a-z]{3})_[A-Za-z0-9_-]{22}$/;

/** Whether `value` looks like an id made by `newId(prefix)`. */
export function isId(value: string, prefix?: IdPrefix): boolean {
  const m = ID_PATTERN.exec(value);
  if (!m) return false;
  return prefix === undefined ? (ID_PREFIXES as readonly string[]).includes(m[1]!) : m[1] === prefix;
}
