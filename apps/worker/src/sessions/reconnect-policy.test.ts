import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT_POLICY, QR_ATTEMPTS_ENDED, decideReconnect } from './reconnect-policy.js';

const policy = { baseDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 5 };

describe('decideReconnect', () => {
  it('reconnects at once on 515 without counting a failure', () => {
    expect(decideReconnect(515, 'Stream Errored (restart required)', 1, policy, 0.9)).toEqual({
      action: 'reconnect',
      delayMs: 0,
      countsAsFailure: false,
      reason: 'restart required',
    });
    // Even after many failures: a restart is part of pairing.
    expect(decideReconnect(515, undefined, 99, policy, 0.5)).toMatchObject({ action: 'reconnect', delayMs: 0 });
  });

  it('deletes creds and stops as LOGGED_OUT on 401', () => {
    expect(decideReconnect(401, 'Connection Failure', 1, policy)).toMatchObject({ action: 'stop', status: 'LOGGED_OUT', deleteCreds: true, leaseConflict: false });
  });

  it('treats 440 as a lease conflict and never reconnects', () => {
    expect(decideReconnect(440, 'Stream Errored (conflict)', 1, policy)).toMatchObject({ action: 'stop', status: 'DISCONNECTED', deleteCreds: false, leaseConflict: true });
  });

  it.each([403, 411])('stops as FAILED on %i and keeps creds', (code) => {
    expect(decideReconnect(code, undefined, 1, policy)).toMatchObject({ action: 'stop', status: 'FAILED', deleteCreds: false });
  });

  it('stops as DISCONNECTED when the QR expired (408 with the QR message)', () => {
    expect(decideReconnect(408, QR_ATTEMPTS_ENDED, 1, policy)).toMatchObject({ action: 'stop', status: 'DISCONNECTED', reason: 'QR expired' });
  });

  it.each([408, 428, 500, 503, undefined])('backs off on %s with full jitter under an exponential ceiling', (code) => {
    expect(decideReconnect(code, 'Connection Closed', 1, policy, 0.999)).toMatchObject({ action: 'reconnect', delayMs: 999, countsAsFailure: true });
    expect(decideReconnect(code, 'x', 3, policy, 0.5)).toMatchObject({ delayMs: 2000 });
    expect(decideReconnect(code, 'x', 1, policy, 0)).toMatchObject({ delayMs: 0 });
  });

  it('caps the delay', () => {
    const d = decideReconnect(503, undefined, 5, { ...policy, maxDelayMs: 3000 }, 0.999);
    expect(d).toMatchObject({ action: 'reconnect', delayMs: 2997 });
  });

  it('gives up as FAILED after maxAttempts consecutive failures', () => {
    expect(decideReconnect(500, undefined, 5, policy, 0.1).action).toBe('reconnect');
    expect(decideReconnect(500, undefined, 6, policy, 0.1)).toMatchObject({ action: 'stop', status: 'FAILED', deleteCreds: false });
  });

  it('has sane defaults', () => {
    expect(DEFAULT_RECONNECT_POLICY.maxAttempts).toBeGreaterThan(1);
    const delays = Array.from({ length: 200 }, () => decideReconnect(428, undefined, 4)).map((d) => (d.action === 'reconnect' ? d.delayMs : -1));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });
});
