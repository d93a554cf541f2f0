import type { WorkerStatus } from '@wagate/contracts';

/** What the load balancer needs to know about one worker. */
export interface PlacementCandidate {
  id: string;
  status: WorkerStatus;
  /**
   * Sessions at the last heartbeat plus those placed on it since: placement adds one in the same
   * transaction, so a burst of connects between two heartbeats spreads instead of all picking the
   * same worker (the next heartbeat replaces the figure with the worker's own count).
   */
  sessionCount: number;
  maxSessions: number;
  cpuUsage: number;
  memoryUsage: number;
}

/**
 * The load balancer (DESIGN.md §5): among ONLINE workers with room (sessions < maxSessions),
 * the one with the fewest sessions, then the lowest CPU, then the lowest memory; the id breaks
 * a full tie so the choice is deterministic. Null when none fits.
 */
export function pickWorker<T extends PlacementCandidate>(candidates: readonly T[]): T | null {
  let best: T | null = null;
  for (const candidate of candidates) {
    if (candidate.status !== 'ONLINE' || candidate.sessionCount >= candidate.maxSessions) continue;
    if (best === null || compare(candidate, best) < 0) best = candidate;
  }
  return best;
}

function compare(a: PlacementCandidate, b: PlacementCandidate): number {
  return a.sessionCount - b.sessionCount || a.cpuUsage - b.cpuUsage || a.memoryUsage - b.memoryUsage || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether a session may stay on the worker it had: still ONLINE (capacity was counted when it came). */
export function canKeep(candidate: Pick<PlacementCandidate, 'status'> | null | undefined): boolean {
  return candidate?.status === 'ONLINE';
}
