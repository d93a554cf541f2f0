/**
 * Failover time (issue 8): real processes — wagate sim, one gateway, two workers — on PostgreSQL,
 * Redis and s3rver. BENCH_SESSIONS sessions (default 100) are linked, all on the first worker (the
 * second starts after them); then `kill -9` of the first worker, and the clock runs until the last
 * session is CONNECTED on the other one, with no QR scan.
 *
 *   npm run bench -- failover      (or: node --conditions=source --import tsx bench/failover.bench.ts)
 *
 * Timings: heartbeat 1 s, lease 4 s, OFFLINE after 5 s (BENCH_OFFLINE_MS; shorter leases get lost while 100 pairings load one worker), so most of the figure
 * is the detection window; the bench prints detection and restore apart.
 */
import { linkSessions, routes, simConnections, startFleet, until } from '../tests/e2e/support/failover-fleet.js';
import { report } from './report.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100);
const OFFLINE_MS = Number(process.env.BENCH_OFFLINE_MS ?? 5000);
const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const fleet = await startFleet({ gateways: 1, workers: 2, timings: { heartbeatMs: 1000, leaseMs: 4000, offlineMs: OFFLINE_MS }, label: 'bench-failover', maxSessions: SESSIONS + 10 });
  try {
    const [victim, survivor] = fleet.workers as [(typeof fleet.workers)[0], (typeof fleet.workers)[0]];
    // Every session on the victim: the survivor takes none while it is DRAINING in the registry.
    await fleet.db.query("update workers set status = 'DRAINING' where id = $1", [survivor.id]);
    let started = Date.now();
    const sessions = await linkSessions(fleet, SESSIONS, 4);
    out(`failover bench: ${SESSIONS} sessions linked on ${victim.id} in ${Date.now() - started} ms`);
    await fleet.db.query("update workers set status = 'ONLINE' where id = $1", [survivor.id]);
    const before = await routes(fleet);
    const ids = sessions.map((s) => s.sessionId).filter((id) => before.get(id)?.workerId === victim.id);
    out(`failover bench: ${ids.length}/${SESSIONS} on the victim`);

    started = Date.now();
    await victim.proc.stop('SIGKILL');
    let offlineAt = 0;
    let firstAt = 0;
    await until(
      async () => {
        if (offlineAt === 0) {
          const { rows } = await fleet.db.query<{ status: string }>('select status from workers where id = $1', [victim.id]);
          if (rows[0]?.status === 'OFFLINE') offlineAt = Date.now();
        }
        const now = await routes(fleet);
        const done = ids.filter((id) => now.get(id)?.workerId === survivor.id && now.get(id)?.status === 'CONNECTED').length;
        if (done > 0 && firstAt === 0) firstAt = Date.now();
        return done === ids.length;
      },
      'every session CONNECTED on the survivor',
      120_000,
      50,
    );
    const lastAt = Date.now();
    const record = await simConnections(fleet);
    out(`failover bench: kill -9 → OFFLINE ${offlineAt - started} ms (window ${OFFLINE_MS} ms + liveness pass)`);
    out(`failover bench: kill -9 → first CONNECTED ${firstAt - started} ms, last CONNECTED ${lastAt - started} ms (${ids.length} sessions)`);
    out(`failover bench: restore phase (OFFLINE → last CONNECTED) ${lastAt - offlineAt} ms, ${((ids.length * 1000) / Math.max(1, lastAt - offlineAt)).toFixed(1)} sessions/s`);
    out(`failover bench: wa-sim never saw two sockets per device: ${record.neverOverlapped}`);
    report('failover', {
      sessions: ids.length,
      killToOfflineMs: offlineAt - started,
      killToFirstConnectedMs: firstAt - started,
      killToLastConnectedMs: lastAt - started,
      restorePhaseMs: lastAt - offlineAt,
      restoredPerS: Number(((ids.length * 1000) / Math.max(1, lastAt - offlineAt)).toFixed(1)),
      neverTwoSocketsPerDevice: record.neverOverlapped,
    }, [`kill -9 of the worker holding every session; heartbeat 1 s, lease 4 s, OFFLINE after ${OFFLINE_MS} ms — most of the figure is that detection window`]);
  } finally {
    await fleet.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
