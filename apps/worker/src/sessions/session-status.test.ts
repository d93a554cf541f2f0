import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, SESSION_STATUSES, SESSION_TRANSITIONS, assertTransition, canTransition } from './session-status.js';

describe('session status machine', () => {
  it.each([
    ['DISCONNECTED', 'CONNECTING'],
    ['CONNECTING', 'QR_READY'],
    ['CONNECTING', 'CONNECTED'],
    ['QR_READY', 'CONNECTING'],
    ['QR_READY', 'CONNECTED'],
    ['QR_READY', 'DISCONNECTED'],
    ['CONNECTED', 'CONNECTING'],
    ['CONNECTED', 'LOGGED_OUT'],
    ['CONNECTED', 'FAILED'],
    ['LOGGED_OUT', 'CONNECTING'],
    ['FAILED', 'CONNECTING'],
    ['FAILED', 'DISCONNECTED'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(assertTransition(from, to)).toBe(to);
  });

  it.each([
    ['DISCONNECTED', 'CONNECTED'],
    ['DISCONNECTED', 'QR_READY'],
    ['LOGGED_OUT', 'CONNECTED'],
    ['LOGGED_OUT', 'DISCONNECTED'],
    ['FAILED', 'CONNECTED'],
    ['CONNECTED', 'QR_READY'],
    ['CONNECTING', 'CONNECTING'],
  ] as const)('throws on %s → %s', (from, to) => {
    expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
  });

  it('reaches CONNECTED from every status only through CONNECTING', () => {
    for (const from of SESSION_STATUSES) {
      if (from === 'CONNECTING' || from === 'QR_READY') continue;
      expect(canTransition(from, 'CONNECTED')).toBe(false);
    }
    expect(Object.keys(SESSION_TRANSITIONS).sort()).toEqual([...SESSION_STATUSES].sort());
  });
});
