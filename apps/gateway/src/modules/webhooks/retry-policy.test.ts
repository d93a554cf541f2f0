import { describe, expect, it } from 'vitest';
import { classifyAttempt, MAX_ATTEMPTS, nextRetryDelay, parseRetryAfter, RETRY_SCHEDULE_MS } from './retry-policy.js';

const HOUR = 3_600_000;

describe('retry policy', () => {
  it('spans about three days over 12 attempts', () => {
    const total = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(MAX_ATTEMPTS).toBe(12);
    expect(total).toBeGreaterThan(60 * HOUR);
    expect(total).toBeLessThan(80 * HOUR);
    // Exponential-ish: never shrinking.
    for (let i = 1; i < RETRY_SCHEDULE_MS.length; i++) expect(RETRY_SCHEDULE_MS[i]).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[i - 1]!);
  });

  it('jitters each delay within ±20 %', () => {
    expect(nextRetryDelay(1, { random: () => 0 })).toBe(4_000);
    expect(nextRetryDelay(1, { random: () => 1 })).toBe(6_000);
    expect(nextRetryDelay(4, { random: () => 0.5 })).toBe(600_000);
  });

  it('stops after the last scheduled retry', () => {
    expect(nextRetryDelay(MAX_ATTEMPTS - 1, { random: () => 0.5 })).toBe(24 * HOUR);
    expect(nextRetryDelay(MAX_ATTEMPTS)).toBeNull();
    expect(classifyAttempt(MAX_ATTEMPTS, 500)).toEqual({ kind: 'exhausted' });
  });

  it('treats 2xx as delivered, 410 as gone, 3xx and 4xx and no response as retryable', () => {
    expect(classifyAttempt(1, 204).kind).toBe('delivered');
    expect(classifyAttempt(1, 410).kind).toBe('gone');
    for (const status of [301, 302, 400, 404, 500, null]) expect(classifyAttempt(1, status).kind).toBe('retry');
  });

  it('honours Retry-After on 429 and 503 only, in seconds or as a date, capped at a day', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(classifyAttempt(1, 429, '120', { now })).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(classifyAttempt(1, 503, 'Wed, 01 Jan 2025 00:10:00 GMT', { now })).toEqual({ kind: 'retry', delayMs: 600_000 });
    expect(classifyAttempt(1, 429, '999999', { now })).toEqual({ kind: 'retry', delayMs: 24 * HOUR });
    expect(classifyAttempt(1, 500, '120', { now, random: () => 0.5 })).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
