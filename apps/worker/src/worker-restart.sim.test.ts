import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator } from '@wagate/wa-sim';
import type { Simulator } from '@wagate/wa-sim';
import type { EventEnvelope } from '@wagate/contracts';
import { FsBlobStore } from '@wagate/storage';
import { Keyring } from './crypto/index.js';
import { HistoryStore } from './history/index.js';
import { WORKER_API } from './http/index.js';
import { until } from './test-support/sim-worker.js';

// The simulator's phones run libsignal in this process, which prints session objects to the
// console; the workers under test are child processes whose console goes to their own logger.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  // eslint-disable-next-line no-console -- silencing libsignal, not printing
  console[method] = () => undefined;
}

const script = fileURLToPath(new URL('./test-support/worker-process.ts', import.meta.url));
const BOOTSTRAP = 'bootstrap-token-restart-1234';

/** The gateway's side, as little as the worker needs: register, heartbeat, event batches. */
async function standInGateway() {
  const events: EventEnvelope[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { events?: EventEnvelope[] };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/internal/workers/register') {
        res.end(JSON.stringify({ workerId: 'worker-a', token: 'per-worker-token-restart', heartbeatIntervalMs: 500, leaseTtlMs: 5000 }));
      } else if (req.url?.endsWith('/heartbeat') === true) {
        res.end(JSON.stringify({ ok: true, leaseTtlMs: 5000 }));
      } else if (req.url === '/api/v1/internal/events') {
        events.push(...(body.events ?? []));
        res.end(JSON.stringify({ acknowledged: (body.events ?? []).map((e) => e.id), rejected: [], dropSessions: [] }));
      } else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { events, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

let sim: Simulator;
let gateway: Awaited<ReturnType<typeof standInGateway>>;
let dataDir: string;
const encryptionKey = randomBytes(32);
const children: ChildProcess[] = [];

/** A worker process on `dataDir`; resolves with its internal API base URL once it listens. */
async function workerProcess(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      GATEWAY_URL: gateway.url,
      WORKER_ID: 'worker-a',
      WORKER_PORT: '0',
      DATA_DIR: dataDir,
      WA_NETWORK: 'sandbox',
      WORKER_TOKEN: BOOTSTRAP,
      ENCRYPTION_KEY: encryptionKey.toString('base64'),
      LOG_LEVEL: process.env['WAGATE_TEST_LOG'] ?? 'silent',
      PACER_MIN_INTERVAL_MS: '0',
      PACER_JITTER_MS: '0',
      WAGATE_SIM: JSON.stringify({ url: sim.url, rootPublicKey: Buffer.from(sim.rootPublicKey).toString('base64'), mediaCa: sim.mediaCa }),
    },
  });
  children.push(child);
  const base = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('{"url"')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before listening`)));
  });
  return { child, base };
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${BOOTSTRAP}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const historyIds = async (base: string, epoch: number): Promise<string[]> =>
  ((await call(base, 'GET', `${WORKER_API.messages}?sessionId=s1&epoch=${epoch}&limit=100`)).body['data'] as { id: string }[]).map((m) => m.id);

beforeEach(async () => {
  sim = await createSimulator({ rootKeyPair: 'test', receiptDelays: { delivery: 0, read: 30 } });
  gateway = await standInGateway();
  dataDir = await mkdtemp(join(tmpdir(), 'wagate-restart-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await gateway.close();
  await sim.close();
  await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
});

describe('a worker process killed with SIGKILL', () => {
  it('is replaced by a new process on the same BlobStore that restores the session with no QR and no lost history', { timeout: 60_000 }, async () => {
    // First process: pair by QR and exchange messages both ways.
    const first = await workerProcess();
    expect((await call(first.base, 'POST', WORKER_API.start, { sessionId: 's1', epoch: 1 })).status).toBe(202);
    const qr = await until(async () => ((await call(first.base, 'GET', '/api/v1/internal/sessions/s1?epoch=1')).body['qr'] as { qr: string } | null) ?? undefined, 'a QR');
    const owner = sim.phones.create({ pushName: 'Owner' });
    await sim.scan(owner, qr.qr);
    await until(async () => (await call(first.base, 'GET', '/api/v1/internal/sessions/s1?epoch=1')).body['status'] === 'CONNECTED', 'CONNECTED');

    const alice = sim.phones.create({ pushName: 'Alice' });
    const sent = await call(first.base, 'POST', WORKER_API.send, { sessionId: 's1', epoch: 1, message: { to: `+${alice.phone}`, text: 'before the crash' } });
    const sentId = (sent.body['message'] as { id: string }).id;
    await alice.waitForMessage((m) => m.id === sentId);
    const received = await alice.sendText(owner.jid, 'reply before the crash');
    await until(async () => (await historyIds(first.base, 1)).includes(received.id), 'the reply in history');

    // What a kill -9 keeps is what reached the BlobStore: wait for the history flush (1 s), read
    // back with the key and nothing else, then kill.
    const store = new FsBlobStore({ root: join(dataDir, 'objects') });
    const reader = new HistoryStore({ blobs: store, keyring: new Keyring([{ id: 'k0', key: encryptionKey }]) });
    await until(async () => {
      const ids = (await reader.query('s1')).messages.map((m) => m.id);
      return ids.includes(sentId) && ids.includes(received.id);
    }, 'both messages flushed to the BlobStore');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(first.child.signalCode).toBe('SIGKILL');
    await until(() => sim.connections.live().length === 0, 'the simulator to see the socket gone');
    const qrEventsBefore = gateway.events.filter((e) => e.type === 'session.qr').length;
    // Sent while no worker holds the session: WhatsApp queues it and hands it over as offline
    // catch-up on the next login, which must still be announced (chaos test, issue 11).
    const whileDown = await alice.sendText(owner.jid, 'sent while the worker was down');

    // Second process on the same DATA_DIR: the gateway re-places the session with a new epoch.
    const second = await workerProcess();
    expect((await call(second.base, 'POST', WORKER_API.restore, { sessionId: 's1', epoch: 2 })).status).toBe(202);
    const seen = await until(async () => {
      const view = (await call(second.base, 'GET', '/api/v1/internal/sessions/s1?epoch=2')).body;
      expect(view['qr']).toBeNull();
      return view['status'] === 'CONNECTED' ? view : undefined;
    }, 'CONNECTED again from stored creds');
    expect(seen).toMatchObject({ phoneNumber: `+${owner.phone}`, pairingCode: null });
    expect(owner.companions()).toHaveLength(1);

    // No lost history: the earlier messages are there, read by the new process.
    const restored = await historyIds(second.base, 2);
    expect(restored).toEqual(expect.arrayContaining([sentId, received.id]));

    await until(() => gateway.events.some((e) => e.type === 'message.received' && e.epoch === 2 && e.data.message.id === whileDown.id), 'message.received for the message queued during the outage');

    // New messages flow both ways on the restored Signal sessions.
    const again = await call(second.base, 'POST', WORKER_API.send, { sessionId: 's1', epoch: 2, message: { to: `+${alice.phone}`, text: 'after the restore' } });
    expect(again.status).toBe(200);
    const againId = (again.body['message'] as { id: string }).id;
    expect((await alice.waitForMessage((m) => m.id === againId)).text).toBe('after the restore');
    const reply = await alice.sendText(owner.jid, 'reply after the restore');
    await until(async () => (await historyIds(second.base, 2)).includes(reply.id), 'the new reply in history');
    await until(() => gateway.events.some((e) => e.type === 'message.received' && e.epoch === 2 && e.data.message.id === reply.id), 'message.received at epoch 2');
    expect(gateway.events.filter((e) => e.type === 'session.qr')).toHaveLength(qrEventsBefore);
    expect(gateway.events.some((e) => e.type === 'session.qr' && e.epoch === 2)).toBe(false);

    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    expect(second.child.exitCode).toBe(0);
  });
});
