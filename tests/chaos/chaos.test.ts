// Issue 11 chaos set-test: the product promise "nothing acknowledged is lost" on real processes
// (wagate sim, gateway ×2, worker ×3, PostgreSQL, s3rver, and a redis-server of our own) while a
// worker is killed -9 (and brought back on its disk later, as its StatefulSet would), then a
// gateway, then Redis restarts empty. Messages go out through the public API (Idempotency-Key on
// each, retried with the same key on 5xx/409/connection errors) and come in from virtual phones at
// the same time. The ledger: every 202 reached its recipient phone, every incoming message reached
// the webhook receiver at least once (repeats only with the same webhook-id), and wa-sim never saw
// a session on two sockets at once.
//
// CHAOS_MESSAGES (each way, default 2,000), CHAOS_SESSIONS (8); CHAOS_FAULTS=0 runs the traffic
// with no faults (baseline); CHAOS_STEPS=worker,gateway,redis picks faults; CHAOS_WARM_UP=0 skips
// the warm-up. History of what it found (8 sessions, 2 cores, Nov 2026):
//   - the worker dropped WhatsApp's offline catch-up instead of announcing it (25/200 incoming
//     lost per worker kill); fixed in session-runtime.ts;
//   - Baileys sends a message's receipt before it announces it, so a kill between the two lost
//     the message for good (~1/200 incoming per kill); fixed by the FrameGate (frame-gate.ts), which
//     also holds every frame until the Signal state it was encrypted with is stored;
//   - a killed worker's journal of events was refused when it came back (its sessions had moved
//     to a newer epoch); the gateway now takes late message.* events of an epoch the worker held;
//   - a send retried after its worker died went out twice under two ids; the stanza id now comes
//     from the Idempotency-Key, and a redelivered message keeps its event id.
//   - the sends lost after a move (25–33 of 2,000, all to customers of the moved sessions, with
//     ~200 failed decrypts at the phones): libsignal tried each session of a record in place, so a
//     customer message on the old session ruined the new one Baileys opened when it fetched the
//     customer's devices again (first send on the new worker); fixed in libsignal-trial-decrypt.ts.
//     wa-sim's phones also dropped their session on every plain retry; now they answer as clients do.
//   - incoming messages lost about once in five runs (2 of 2,000): a message's Signal state was
//     stored before it was journaled, so a worker killed in between left a state that could no
//     longer read the message WhatsApp delivered again; Baileys nacks such a pkmsg with no retry
//     request. Key flushes now wait for the journal (FrameGate.holdDecrypts); the 3 decryption
//     retries every run used to show (the whisper messages of that window) went to 0 with it.
// `npm run test:chaos` runs it alone (it is excluded from the default vitest config; it needs the
// machine for ~4 min); CI runs it as a stage after `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectStatus, inboxIds, linkSessions, routes, simConnections, startFleet, until, type Fleet, type LinkedSession } from '../e2e/support/failover-fleet.js';
import { freePort } from '../e2e/support/processes.js';

const MESSAGES = Number(process.env.CHAOS_MESSAGES ?? 2000);
const SESSIONS = Number(process.env.CHAOS_SESSIONS ?? 8);
const LANES = Number(process.env.CHAOS_LANES ?? 16);
// Leases longer than failover.test.ts's 4 s: the traffic here saturates both cores, and at 32 lanes
// a worker's heartbeat once missed a 4 s lease (it stopped its sessions, as it must, and the run
// stalled). A lost lease is failover.test.ts's subject; this test is about the ledger.
const timings = { heartbeatMs: 1000, leaseMs: 6000, offlineMs: 7000 };

// Redis of our own -----------------------------------------------------------------------------
// The system Redis is shared with every other test on the machine: only this one is restarted.
interface OwnRedis {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until(async () => {
      const { createConnection } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = createConnection(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    }, 'redis-server listening', 10_000, 50);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await kill();
      await launch();
    },
    stop: kill,
  };
}

// Webhook receiver -----------------------------------------------------------------------------
interface Delivery {
  webhookId: string;
  messageId: string;
  text: string;
}

async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => resolve(body));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      const payload = JSON.parse(body) as { type: string; data: { message?: { id: string; text?: string } } };
      if (payload.type === 'message.received' && payload.data.message) {
        deliveries.push({ webhookId: String(req.headers['webhook-id']), messageId: payload.data.message.id, text: payload.data.message.text ?? '' });
      }
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/hook`, deliveries, close: () => new Promise((r) => server.close(() => r())) };
}

// The test -------------------------------------------------------------------------------------
let fleet: Fleet;
let redis: OwnRedis;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let sessions: LinkedSession[] = [];
/** One customer phone per session: it receives the session's sends and writes to it. */
const customers = new Map<string, string>();
const sessionPhones = new Map<string, string>();
const auth = () => ({ authorization: `Bearer ${fleet.userToken}` });
const alive = (p: { child: ChildProcess }) => p.child.exitCode === null && p.child.signalCode === null;
const liveGateways = () => fleet.gateways.filter((_g, i) => alive(fleet.gatewayProcs[i]!));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `attempt` on connection errors, 5xx, 409 (not connected / key in progress) and 429, until 202 or the deadline. */
async function acknowledged<T>(attempt: (base: string) => Promise<{ status: number; body: T }>, deadlineMs: number): Promise<{ body: T; retries: number } | undefined> {
  const deadline = Date.now() + deadlineMs;
  let retries = 0;
  for (let k = 0; ; k++) {
    const live = liveGateways();
    const base = live[k % live.length]!;
    try {
      const res = await attempt(base);
      if (res.status === 202) return { body: res.body, retries };
      if (res.status !== 409 && res.status !== 429 && res.status < 500) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
    } catch (error) {
      if (String(error).includes('unexpected')) throw error;
    }
    retries++;
    if (Date.now() > deadline) return undefined;
    await pause(250);
  }
}

describe('chaos: nothing acknowledged is lost while a worker, a gateway and Redis die', () => {
  beforeAll(async () => {
    redis = await startRedis();
    receiver = await startReceiver();
    fleet = await startFleet({
      gateways: 2,
      workers: 3,
      timings,
      label: 'chaos',
      redisUrl: redis.url,
      // The receiver is on loopback; deliveries are retried quickly so the ledger settles in time.
      gatewayEnv: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '200' },
    });
    try {
      const base = fleet.gateways[0]!;
      // BASIC allows 100 messages an hour: the owner is MAX (10,000) so the quota is not what is tested.
      const me = await expectStatus<{ user: { id: string } }>(200, base, 'GET', '/api/v1/auth/me', auth());
      await expectStatus(200, base, 'PATCH', `/api/v1/admin/users/${me.user.id}`, { authorization: `Bearer ${fleet.adminToken}` }, { tier: 'MAX' });
      sessions = await linkSessions(fleet, SESSIONS, 4);
      for (const s of sessions) {
        const customer = (await expectStatus<{ phone: { phoneNumber: string } }>(201, base, 'POST', '/api/v1/sandbox/phones', auth(), { name: `Customer of ${s.sessionId}` })).phone.phoneNumber;
        customers.set(s.sessionId, customer);
        const view = await expectStatus<{ session: { phoneNumber: string | null } }>(200, base, 'GET', `/api/v1/sessions/${s.sessionId}`, auth());
        sessionPhones.set(s.sessionId, (view.session.phoneNumber ?? s.phone).replace(/^\+/, ''));
        await expectStatus(201, base, 'POST', `/api/v1/sessions/${s.sessionId}/webhooks`, auth(), { url: receiver.url, events: ['message.received'] });
      }
      // Warm-up: one message each way per pair, one direction after the other, so each pair's
      // Signal sessions exist before the load. Without it both sides start a session at once
      // (the customer's first message crossing the session's), and some first messages are lost
      // with no fault at all (measured: CHAOS_WARM_UP=0 CHAOS_FAULTS=0): that is not what this test measures.
      if (process.env.CHAOS_WARM_UP !== '0') {
        await Promise.all(
          sessions.map(async (s) => {
            const customer = customers.get(s.sessionId)!;
            await expectStatus(202, base, 'POST', `/api/v1/sandbox/phones/${customer}/messages`, auth(), { to: `+${sessionPhones.get(s.sessionId)!}`, text: `warm-${s.sessionId}` });
            await until(async () => receiver.deliveries.some((d) => d.text === `warm-${s.sessionId}`), `warm-up message to ${s.sessionId}`, 30_000, 100);
            const sent = await expectStatus<{ message: { id: string } }>(202, base, 'POST', '/api/v1/messages', { 'x-api-key': s.apiKey }, { to: `+${customer}`, text: 'warm' });
            await until(async () => (await inboxIds(liveGateways()[0]!, auth(), customer)).has(sent.message.id), `warm-up reply from ${s.sessionId}`, 30_000, 200);
          }),
        );
      }
    } catch (error) {
      process.stdout.write(fleet.dump());
      throw error;
    }
  }, 240_000);

  afterAll(async () => {
    await fleet?.stop();
    await receiver?.close();
    await redis?.stop();
  }, 60_000);

  it(`${MESSAGES} sends and ${MESSAGES} incoming messages across kill -9 of a worker, kill -9 of a gateway and a Redis restart: the ledger balances`, async () => {
    const started = Date.now();
    const sent: { id: string; customer: string; retries: number }[] = [];
    const incoming = new Set<string>();
    let unackedOut = 0;
    let unackedIn = 0;
    let outRetries = 0;
    let inRetries = 0;
    const chaosLog: string[] = [];
    let killed: { output(): string } | undefined;
    const mark = (what: string) => chaosLog.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

    let nextOut = 0;
    const outLane = async () => {
      while (nextOut < MESSAGES) {
        const i = nextOut++;
        const s = sessions[i % sessions.length]!;
        const customer = customers.get(s.sessionId)!;
        const ack = await acknowledged(
          (base) => call<{ message: { id: string } }>(base, 'POST', '/api/v1/messages', { 'x-api-key': s.apiKey, 'idempotency-key': `chaos-out-${i}` }, { to: `+${customer}`, text: `out-${i}` }),
          60_000,
        );
        if (ack === undefined) unackedOut++;
        else {
          sent.push({ id: ack.body.message.id, customer, retries: ack.retries });
          outRetries += ack.retries;
        }
      }
    };
    let nextIn = 0;
    const inLane = async () => {
      while (nextIn < MESSAGES) {
        const i = nextIn++;
        const s = sessions[i % sessions.length]!;
        // The phone sends once per acknowledgement; a retry after an error may send a second copy,
        // which the ledger tolerates (it asks for "at least once" per acknowledged text).
        const ack = await acknowledged(
          (base) => call(base, 'POST', `/api/v1/sandbox/phones/${customers.get(s.sessionId)!}/messages`, auth(), { to: `+${sessionPhones.get(s.sessionId)!}`, text: `in-${i}` }),
          60_000,
        );
        if (ack === undefined) unackedIn++;
        else {
          incoming.add(`in-${i}`);
          inRetries += ack.retries;
        }
      }
    };

    const chaos = async () => {
      // CHAOS_FAULTS=0 runs the same traffic with no faults: the baseline a loss is compared against.
      if (process.env.CHAOS_FAULTS === '0') return;
      // CHAOS_STEPS=worker,gateway,redis (default all): one fault alone, to tell which one loses.
      const steps = new Set((process.env.CHAOS_STEPS ?? 'worker,gateway,redis').split(','));
      // Sends are the slower half (incoming are acknowledged by wa-sim at once): pace the chaos on them.
      const progress = () => (sent.length + unackedOut) / MESSAGES;
      await until(async () => progress() >= 0.2, '20% of the traffic', 180_000, 50);
      const counts = await routes(fleet);
      const held = (id: string) => [...counts.values()].filter((r) => r.workerId === id).length;
      const victim = [...fleet.workers].sort((a, b) => held(b.id) - held(a.id))[0]!;
      if (steps.has('worker')) {
        killed = victim.proc;
        await victim.proc.stop('SIGKILL');
        mark(`kill -9 ${victim.id} (${held(victim.id)} sessions)`);
        // Its sessions move; then it comes back on its own disk and delivers what its journal held.
        await until(async () => [...(await routes(fleet)).values()].every((r) => r.workerId !== victim.id && r.status === 'CONNECTED'), 'the victim\'s sessions connected elsewhere', 120_000, 250);
        mark(`${victim.id}'s sessions connected on the other workers`);
        await victim.restart();
        mark(`${victim.id} started again on its data folder`);
      }
      await until(async () => progress() >= 0.45, '45% of the traffic', 180_000, 50);
      if (steps.has('gateway')) await fleet.gatewayProcs[0]!.stop('SIGKILL');
      if (steps.has('gateway')) mark('kill -9 gateway 0 (the liveness leader)');
      await until(async () => progress() >= 0.7, '70% of the traffic', 180_000, 50);
      if (steps.has('redis')) await redis.restart();
      if (steps.has('redis')) mark('Redis killed and started again, empty');
    };

    try {
      await Promise.all([...Array.from({ length: LANES }, outLane), ...Array.from({ length: LANES }, inLane), chaos()]);
      const trafficMs = Date.now() - started;

      // Settle: every acknowledged send in its phone, every incoming text at the receiver.
      const missingOut = async () => {
        const byCustomer = new Map<string, Set<string>>();
        for (const c of new Set(sent.map((m) => m.customer))) byCustomer.set(c, await inboxIds(liveGateways()[0]!, auth(), c));
        return sent.filter((m) => !byCustomer.get(m.customer)!.has(m.id));
      };
      const missingIn = () => {
        const seen = new Set(receiver.deliveries.map((d) => d.text));
        return [...incoming].filter((t) => !seen.has(t));
      };
      let lostOut: typeof sent = [];
      let lostIn: string[] = [];
      await until(
        async () => {
          lostOut = await missingOut();
          lostIn = missingIn();
          return lostOut.length === 0 && lostIn.length === 0;
        },
        'the ledger to balance',
        120_000,
        1000,
      ).catch(() => undefined);

      // Repeats of one WhatsApp message at the receiver carry one webhook-id.
      const idsPerMessage = new Map<string, Set<string>>();
      for (const d of receiver.deliveries) idsPerMessage.set(d.messageId, (idsPerMessage.get(d.messageId) ?? new Set()).add(d.webhookId));
      const splitDuplicates = [...idsPerMessage.entries()].filter(([, ids]) => ids.size > 1);
      const repeats = receiver.deliveries.length - idsPerMessage.size;
      const overlap = await simConnections(fleet);
      const { retries } = await expectStatus<{ retries: { companionRetries: number; phoneRetries: number } }>(200, fleet.simControl, 'GET', '/stats', {});

      process.stdout.write(
        [
          `chaos ledger (${SESSIONS} sessions, ${MESSAGES} each way, traffic ${trafficMs} ms, settled ${Date.now() - started} ms):`,
          ...chaosLog.map((l) => `  ${l}`),
          `  out: ${sent.length} acknowledged (202), ${sent.length - lostOut.length} in the recipient's inbox, ${lostOut.length} lost, ${unackedOut} never acknowledged, ${outRetries} retries`,
          `  in:  ${incoming.size} acknowledged by the sandbox, ${incoming.size - lostIn.length} at the webhook receiver, ${lostIn.length} lost, ${unackedIn} never acknowledged, ${inRetries} retries`,
          `  webhooks: ${receiver.deliveries.length} deliveries of ${idsPerMessage.size} messages, ${repeats} repeats, ${splitDuplicates.length} messages under two webhook-ids`,
          `  sockets: ${overlap.connections.length} connections, neverOverlapped=${overlap.neverOverlapped}`,
          `  decryption retries asked: ${retries.companionRetries} by workers, ${retries.phoneRetries} by phones`,
          '',
        ].join('\n'),
      );
      if (lostOut.length > 0) process.stdout.write(`  lost out: ${JSON.stringify(lostOut.slice(0, 20))}\n`);
      if (lostIn.length > 0) process.stdout.write(`  lost in: ${JSON.stringify(lostIn.slice(0, 20))}\n`);
      if (splitDuplicates.length > 0) process.stdout.write(`  split: ${JSON.stringify(splitDuplicates.slice(0, 10).map(([m, ids]) => [m, [...ids]]))}\n`);

      expect(sent.length).toBeGreaterThan(MESSAGES * 0.9);
      expect(incoming.size).toBeGreaterThan(MESSAGES * 0.9);
      expect(lostOut).toEqual([]);
      expect(lostIn).toEqual([]);
      expect(splitDuplicates).toEqual([]);
      expect(overlap.neverOverlapped).toBe(true);
      expect(overlap.connections.filter((c) => /replaced|conflict/i.test(c.closeReason ?? ''))).toEqual([]);
    } catch (error) {
      // Every process's whole output, for finding the cause; the tail goes to stdout.
      const dir = await mkdtemp(join(tmpdir(), 'wagate-chaos-logs-'));
      const procs = {
        sim: fleet.sim,
        ...Object.fromEntries(fleet.gatewayProcs.map((p, i) => [`gateway-${i}`, p])),
        ...Object.fromEntries(fleet.workers.map((w) => [w.id, w.proc])),
        ...(killed === undefined ? {} : { 'killed-worker': killed }),
      };
      for (const [name, p] of Object.entries(procs)) await writeFile(join(dir, `${name}.log`), p.output());
      process.stdout.write(`${chaosLog.join('\n')}\nfull process logs in ${dir}\n${fleet.dump()}\n`);
      throw error;
    }
  }, 600_000);
});
