import { describe, expect, it } from 'vitest';
import { canKeep, pickWorker, type PlacementCandidate } from './placement.js';

const worker = (id: string, overrides: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
  id,
  status: 'ONLINE',
  sessionCount: 0,
  maxSessions: 10,
  cpuUsage: 0,
  memoryUsage: 0,
  ...overrides,
});

describe('pickWorker', () => {
  it('answers null when there are no workers', () => {
    expect(pickWorker([])).toBeNull();
  });

  it('skips OFFLINE and DRAINING workers even when they are emptier', () => {
    const picked = pickWorker([
      worker('a', { status: 'OFFLINE' }),
      worker('b', { status: 'DRAINING' }),
      worker('c', { sessionCount: 9 }),
    ]);
    expect(picked?.id).toBe('c');
  });

  it('skips full workers and answers null when every worker is full', () => {
    expect(pickWorker([worker('a', { sessionCount: 10 }), worker('b', { sessionCount: 3 })])?.id).toBe('b');
    expect(pickWorker([worker('a', { sessionCount: 10 }), worker('b', { sessionCount: 12, maxSessions: 12 })])).toBeNull();
  });

  it('prefers the fewest sessions over CPU and memory', () => {
    expect(pickWorker([worker('a', { sessionCount: 2 }), worker('b', { sessionCount: 1, cpuUsage: 90, memoryUsage: 90 })])?.id).toBe('b');
  });

  it('breaks a session-count tie by CPU, then by memory', () => {
    expect(pickWorker([worker('a', { cpuUsage: 40 }), worker('b', { cpuUsage: 20, memoryUsage: 99 })])?.id).toBe('b');
    expect(pickWorker([worker('a', { cpuUsage: 20, memoryUsage: 60 }), worker('b', { cpuUsage: 20, memoryUsage: 30 })])?.id).toBe('b');
  });

  it('is deterministic on a full tie (lowest id)', () => {
    expect(pickWorker([worker('z'), worker('m'), worker('q')])?.id).toBe('m');
  });

  it('spreads a burst over workers when each placement counts before the next heartbeat', () => {
    const fleet = [worker('a'), worker('b'), worker('c')];
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const picked = pickWorker(fleet)!;
      picks.push(picked.id);
      picked.sessionCount += 1;
    }
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

});

describe('canKeep', () => {
  it('keeps a session only on an ONLINE worker', () => {
    expect(canKeep({ status: 'ONLINE' })).toBe(true);
    expect(canKeep({ status: 'DRAINING' })).toBe(false);
    expect(canKeep({ status: 'OFFLINE' })).toBe(false);
    expect(canKeep(null)).toBe(false);
  });
});
