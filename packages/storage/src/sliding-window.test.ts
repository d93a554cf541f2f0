import { describe, expect, it } from 'vitest';
import { bucketWidthMs, checkSlidingWindow, normaliseRule } from './sliding-window.js';

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('sliding window', () => {
  it('never admits more than the limit in any interval of the window, at any request times', () => {
    for (const [seed, limit, windowMs] of [
      [1, 5, 400],
      [2, 100, 3_600_000],
      [3, 1, 1000],
      [4, 7, 13],
      [5, 60, 60_000],
    ] as const) {
      const next = random(seed);
      const buckets = new Map<number, number>();
      const admitted: number[] = [];
      let requested = 0;
      let now = 1_700_000_000_000 + Math.floor(next() * windowMs);
      for (let i = 0; i < 5000; i++) {
        now += Math.floor(next() * next() * windowMs * 0.2);
        const cost = limit > 1 && next() < 0.2 ? 2 : 1;
        requested += cost;
        const r = checkSlidingWindow(buckets, now, normaliseRule({ limit, windowMs, cost }));
        if (r.allowed) for (let c = 0; c < cost; c++) admitted.push(now);
        else expect(r.retryAfterMs).toBeGreaterThan(0);
      }
      // Units i and i + limit must be at least a full window apart.
      for (let i = 0; i + limit < admitted.length; i++) {
        expect(admitted[i + limit]! - admitted[i]!, `seed ${seed}`).toBeGreaterThanOrEqual(windowMs);
      }
      // And it is not overly strict: it admits about all demand, or about one limit per window.
      const span = admitted.at(-1)! - admitted[0]!;
      const supply = (span / (windowMs + bucketWidthMs(windowMs) * 2)) * limit;
      expect(admitted.length, `seed ${seed}`).toBeGreaterThan(Math.min(requested, supply) * 0.5);
    }
  });

  it('admits again exactly when retryAfterMs says', () => {
    const rule = normaliseRule({ limit: 3, windowMs: 600 });
    const buckets = new Map<number, number>();
    const t0 = 1_700_000_000_000;
    for (const dt of [0, 100, 200]) expect(checkSlidingWindow(buckets, t0 + dt, rule).allowed).toBe(true);
    const denied = checkSlidingWindow(buckets, t0 + 300, rule);
    expect(denied.allowed).toBe(false);
    expect(checkSlidingWindow(buckets, t0 + 300 + denied.retryAfterMs - 1, rule).allowed).toBe(false);
    expect(checkSlidingWindow(buckets, t0 + 300 + denied.retryAfterMs, rule).allowed).toBe(true);
  });

  it('splits a window into at most 60 buckets of at least 1 ms', () => {
    expect(bucketWidthMs(3_600_000)).toBe(60_000);
    expect(bucketWidthMs(1000)).toBe(17);
    expect(bucketWidthMs(13)).toBe(1);
  });
});
