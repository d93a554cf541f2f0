// Issue 8 "Done when": failover, partition fencing and drain on real processes — wagate sim,
// gateway ×2, worker ×3 — over PostgreSQL, Redis and s3rver. Timings are shortened through env
// (heartbeat 1 s, lease 4 s, OFFLINE after 5 s: shorter lost leases while 30 pairings loaded the 2 cores); the order they guarantee is the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectStatus, inboxIds, linkSessions, routes, simConnections, startFleet, until, type Fleet, type FleetWorker, type LinkedSession } from './support/failover-fleet.js';

const SESSIONS = Number(process.env.FAILOVER_SESSIONS ?? 30);
const timings = { heartbeatMs: 1000, leaseMs: 4000, offlineMs: 5000 };

let fleet: Fleet;
let sessions: LinkedSession[] = [];
let alice = '';
const auth = () => ({ authorization: `Bearer ${fleet.userToken}` });
/** Gateways still running (the leader is killed in the first scenario). */
const liveGateways = () => fleet.gateways.filter((_g, i) => fleet.gatewayProcs[i]!.child.exitCode === null && fleet.gatewayProcs[i]!.child.signalCode === null);
const admin = () => ({ authorization: `Bearer ${fleet.adminToken}` });

/** Each session sends one text to Alice through the public API (alternating gateways); answers the message ids. */
async function sendFromAll(list: LinkedSession[], label: string): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, s] of list.entries()) {
    const live = liveGateways();
    const base = live[i % live.length]!;
    const sent = await until(async () => {
      const res = await call<{ message: { id: string } }>(base, 'POST', '/api/v1/messages', { 'x-api-key': s.apiKey, 'idempotency-key': `${label}-${s.sessionId}` }, { to: `+${alice}`, text: `${label} from ${s.sessionId}` });
      return res.status === 202 ? res.body.message.id : undefined;
    }, `${label} send from ${s.sessionId}`);
    ids.push(sent);
  }
  return ids;
}

async function expectDelivered(ids: string[], what: string): Promise<void> {
  await until(async () => {
    const inbox = await inboxIds(liveGateways()[0]!, auth(), alice);
    return ids.every((id) => inbox.has(id));
  }, what, 30_000, 500);
}

/** Sessions routed to `workerId` now. */
async function sessionsOn(workerId: string): Promise<string[]> {
  return [...(await routes(fleet)).entries()].filter(([, r]) => r.workerId === workerId).map(([id]) => id);
}

/** Waits until none of `ids` is on `from` and each is CONNECTED; answers when that happened. */
async function movedAndConnected(ids: string[], from: string, what: string, timeoutMs = 45_000): Promise<number> {
  await until(
    async () => {
      const now = await routes(fleet);
      return ids.every((id) => now.get(id)?.workerId !== from && now.get(id)?.workerId !== null && now.get(id)?.status === 'CONNECTED');
    },
    what,
    timeoutMs,
    100,
  );
  return Date.now();
}

/** wa-sim saw no two live sockets per device: its own verdict, and no socket ended as "replaced". */
async function expectNoOverlap(): Promise<void> {
  const record = await simConnections(fleet);
  expect(record.neverOverlapped).toBe(true);
  const replaced = record.connections.filter((c) => /replaced|conflict/i.test(c.closeReason ?? ''));
  expect(replaced).toEqual([]);
}

const phoneOf = (sessionId: string) => sessions.find((s) => s.sessionId === sessionId)!.phone;

async function holdingMost(candidates: FleetWorker[]): Promise<FleetWorker> {
  const counts = await Promise.all(candidates.map(async (w) => [w, (await sessionsOn(w.id)).length] as const));
  return counts.sort((a, b) => b[1] - a[1])[0]![0];
}

describe('orchestration on real processes: failover, fencing, drain', () => {
  beforeAll(async () => {
    // One restore at a time, so the leader's death lands in the middle of a migration.
    fleet = await startFleet({ gateways: 2, workers: 3, timings, label: 'failover', failoverConcurrency: 1 });
    const phone = await expectStatus<{ phone: { phoneNumber: string } }>(201, fleet.gateways[0]!, 'POST', '/api/v1/sandbox/phones', auth(), { name: 'Alice' });
    alice = phone.phone.phoneNumber;
    const started = Date.now();
    try {
      sessions = await linkSessions(fleet, SESSIONS, 4);
    } catch (error) {
      process.stdout.write(fleet.dump());
      const { rows } = await fleet.db.query('select id, worker_id, status, epoch from sessions');
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      const { rows: logs } = await fleet.db.query('select level, message, worker_id, session_id from system_logs order by created_at desc limit 30');
      process.stdout.write(`${JSON.stringify(logs)}\n`);
      throw error;
    }
    process.stdout.write(`failover e2e: ${SESSIONS} sessions linked in ${Date.now() - started} ms\n`);
  }, 240_000);

  afterAll(async () => {
    await fleet?.stop();
  }, 60_000);

  it(`kill -9 of the worker holding most of ${SESSIONS} sessions, and of the leader gateway during the migration: each returns CONNECTED elsewhere with no scan, messages before and after are delivered, never two sockets`, async () => {
    try {
      const before = await sendFromAll(sessions, 'before');
      await expectDelivered(before, 'every message sent before the kill');

      const victim = await holdingMost(fleet.workers);
      const moved = await sessionsOn(victim.id);
      expect(moved.length).toBeGreaterThan(0);
      const epochs = await routes(fleet);
      const killedAt = Date.now();
      await victim.proc.stop('SIGKILL');
      // The first gateway started leads the liveness monitor: kill it once the first session moved.
      const movedLines = async () => Number((await fleet.db.query<{ n: string }>("select count(*) as n from system_logs where message = 'Session failed over from an OFFLINE worker'")).rows[0]!.n);
      await until(async () => (await movedLines()) > 0, 'the migration started', 30_000, 20);
      await fleet.gatewayProcs[0]!.stop('SIGKILL');
      const movedAtLeaderDeath = await movedLines();
      const doneAt = await movedAndConnected(moved, victim.id, 'every session of the killed worker CONNECTED elsewhere', 60_000);
      process.stdout.write(
        `failover e2e: kill -9 → ${moved.length} sessions CONNECTED elsewhere in ${doneAt - killedAt} ms; the leader gateway died after ${movedAtLeaderDeath}/${moved.length} moves\n`,
      );
      const after = await routes(fleet);
      for (const id of moved) expect(after.get(id)!.epoch).toBeGreaterThan(epochs.get(id)!.epoch);

      // No QR was shown or scanned again: the sessions came back from their stored creds.
      const { rows } = await fleet.db.query<{ n: string }>("select count(*) as n from system_logs where message = 'Session failed over from an OFFLINE worker'");
      expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(moved.length);

      const sentAfter = await sendFromAll(sessions, 'after');
      await expectDelivered(sentAfter, 'every message sent after the failover');
      await expectNoOverlap();
    } catch (error) {
      process.stdout.write(fleet.dump());
      throw error;
    }
  }, 150_000);

  it('a partitioned worker (alive, heartbeats cut) stops its sessions before the gateway marks it OFFLINE and moves them', async () => {
    try {
      const alive = fleet.workers.filter((w) => w.proc.child.exitCode === null && w.proc.child.signalCode === null);
      const cutOff = await holdingMost(alive);
      const held = await sessionsOn(cutOff.id);
      expect(held.length).toBeGreaterThan(0);
      const cutAt = Date.now();
      cutOff.link.cut();
      await movedAndConnected(held, cutOff.id, 'every session of the partitioned worker CONNECTED elsewhere');
      expect(cutOff.proc.child.exitCode).toBeNull();

      const { rows } = await fleet.db.query<{ at: Date }>("select created_at as at from system_logs where worker_id = $1 and message like 'Worker marked OFFLINE%' order by created_at desc limit 1", [cutOff.id]);
      const offlineAt = rows[0]!.at.getTime();
      const record = await simConnections(fleet);
      for (const id of held) {
        const device = phoneOf(id);
        const sockets = record.connections.filter((c) => c.device?.startsWith(`${device}:`) && c.loggedInAt !== undefined).sort((a, b) => a.loggedInAt! - b.loggedInAt!);
        // The partitioned worker's socket (open at the cut) closed before the gateway gave the session away.
        const old = sockets.filter((c) => c.loggedInAt! < cutAt).at(-1)!;
        const next = sockets.find((c) => c.loggedInAt! > cutAt)!;
        expect(old.closedAt).toBeDefined();
        expect(old.closedAt!).toBeLessThan(offlineAt);
        expect(old.closedAt!).toBeLessThan(next.loggedInAt!);
      }
      process.stdout.write(`failover e2e: partition → sockets closed by ${Math.max(...record.connections.filter((c) => c.closedAt !== undefined && c.closedAt > cutAt && c.closedAt < offlineAt).map((c) => c.closedAt! - cutAt))} ms, OFFLINE at ${offlineAt - cutAt} ms\n`);
      await expectNoOverlap();

      // Heal: the worker beats again and is ONLINE with no session (the gateway placed them elsewhere).
      cutOff.link.heal();
      await until(async () => {
        const { rows: w } = await fleet.db.query<{ status: string }>('select status from workers where id = $1', [cutOff.id]);
        return w[0]?.status === 'ONLINE';
      }, 'the healed worker ONLINE again');
    } catch (error) {
      process.stdout.write(fleet.dump());
      throw error;
    }
  }, 90_000);

  it('drain moves a worker’s sessions one by one to the others, then the worker is removable', async () => {
    try {
      const alive = fleet.workers.filter((w) => w.proc.child.exitCode === null && w.proc.child.signalCode === null);
      const drained = await holdingMost(alive);
      const held = await sessionsOn(drained.id);
      expect(held.length).toBeGreaterThan(0);
      const res = await expectStatus<{ worker: { status: string } }>(202, liveGateways()[0]!, 'POST', `/api/v1/admin/workers/${drained.id}/drain`, admin());
      expect(res.worker.status).toBe('DRAINING');
      await movedAndConnected(held, drained.id, 'every session of the drained worker CONNECTED elsewhere');
      await until(async () => {
        const { rows } = await fleet.db.query("select 1 from system_logs where worker_id = $1 and message like 'Worker drained%'", [drained.id]);
        return rows.length > 0;
      }, 'the drain finished');
      await expectNoOverlap();
      const sent = await sendFromAll(sessions.filter((s) => held.includes(s.sessionId)), 'drained');
      await expectDelivered(sent, 'messages from moved sessions after the drain');
      await expectStatus(204, liveGateways()[0]!, 'DELETE', `/api/v1/admin/workers/${drained.id}`, admin());
    } catch (error) {
      process.stdout.write(fleet.dump());
      throw error;
    }
  }, 90_000);
});
