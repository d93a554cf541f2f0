/**
 * Webhook delivery: the gateway's outbox → dispatcher → signed POST path against a local receiver.
 *
 *   npm run bench -- webhooks      (or: node --conditions=source --import tsx bench/webhooks.bench.ts)
 *
 * Embedded PGlite by default (as `npm start`); set DATABASE_URL=postgres://… for PostgreSQL.
 * Two figures:
 *   1. latency: events written one per transaction at a steady rate while the dispatcher runs;
 *      time from the commit to the receiver seeing the first attempt (p50/p95/max);
 *   2. throughput: a backlog written with dispatch off, then drained; deliveries per second.
 * Knobs: WEBHOOK_DISPATCH_INTERVAL_MS (default 1000, as the gateway), BENCH_EVENTS (latency run,
 * default 300), BENCH_BACKLOG (default 3000).
 */
import { newEventId, type WebhookPayload } from '@wagate/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase, schema, type DatabaseHandle } from '../apps/gateway/src/db/index.js';
import { percentile, report } from './report.js';
import { createSecretBox, createWebhookDispatcher, createWebhookOutbox, createWebhookSender, generateWebhookSecret } from '../apps/gateway/src/modules/webhooks/index.js';

const INTERVAL_MS = Number(process.env.WEBHOOK_DISPATCH_INTERVAL_MS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300);
const RATE_PER_S = 100;
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 3000);
const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wagate-bench-wh-'));
  let handle: DatabaseHandle | undefined;
  const firstSeen = new Map<string, number>();
  let received = 0;
  const server = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    if (!firstSeen.has(id)) firstSeen.set(id, performance.now());
    received++;
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  try {
    handle = await openDatabase({ dataDir: dir, ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}) });
    const db = handle.db;
    const [user] = await db.insert(schema.users).values({ email: `bench-${Date.now()}@example.test`, passwordHash: 'x' }).returning();
    const [session] = await db.insert(schema.sessions).values({ userId: user!.id, name: 'bench' }).returning();
    const box = createSecretBox(Buffer.alloc(32, 1));
    const webhookId = `whk_bench${Date.now().toString(36).padEnd(18, '0').slice(0, 18)}`;
    await db.insert(schema.webhooks).values({ id: webhookId, sessionId: session!.id, userId: user!.id, url, events: ['session.status'], secretCiphertext: box.seal(generateWebhookSecret(), webhookId) });

    const sender = createWebhookSender({ allowPrivateNetworks: true });
    const newDispatcher = () => createWebhookDispatcher({ db, sender, secretBox: box, logger: pino({ level: 'silent' }), intervalMs: INTERVAL_MS });
    const event = (): WebhookPayload => ({ id: newEventId(), type: 'session.status', createdAt: new Date().toISOString(), sessionId: session!.id, data: { status: 'CONNECTED' } });

    out(`database: ${handle.kind}; dispatch interval ${INTERVAL_MS} ms; batch 20, 64 in flight per replica; 1 replica`);

    // 1. Latency under a steady trickle, with the outbox waking the dispatcher as app.ts wires it.
    let dispatcher = newDispatcher();
    const outbox = createWebhookOutbox({ db, onEnqueued: () => dispatcher.wake() });
    dispatcher.start();
    const committedAt = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const e = event();
      await db.transaction((tx) => outbox.enqueue(tx, e));
      committedAt.set(e.id, performance.now());
      const due = started + ((i + 1) * 1000) / RATE_PER_S;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const deadline = performance.now() + 30_000;
    while ([...committedAt.keys()].some((id) => !firstSeen.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await dispatcher.stop();
    const latencies = [...committedAt].filter(([id]) => firstSeen.has(id)).map(([id, at]) => firstSeen.get(id)! - at).sort((a, b) => a - b);
    out(`latency: ${latencies.length}/${EVENTS} events at ${RATE_PER_S}/s, event commit → first attempt: p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);

    // 2. Throughput: drain a backlog.
    const quietOutbox = createWebhookOutbox({ db });
    for (let i = 0; i < BACKLOG; i += 100) {
      await db.transaction(async (tx) => {
        for (let j = i; j < Math.min(BACKLOG, i + 100); j++) await quietOutbox.enqueue(tx, event());
      });
    }
    const before = received;
    dispatcher = newDispatcher();
    const t0 = performance.now();
    dispatcher.start();
    const drainDeadline = t0 + 120_000;
    while (received - before < BACKLOG && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - t0) / 1000;
    await dispatcher.stop();
    await sender.close();
    report('webhooks', {
      database: handle.kind,
      latencyEvents: latencies.length,
      'latencyP50Ms (commit → first attempt)': Number(percentile(latencies, 50).toFixed(1)),
      'latencyP95Ms (commit → first attempt)': Number(percentile(latencies, 95).toFixed(1)),
      latencyMaxMs: Number(latencies.at(-1)!.toFixed(1)),
      backlogDelivered: received - before,
      deliveriesPerS: Math.round((received - before) / seconds),
    }, [`latency: ${EVENTS} events at ${RATE_PER_S}/s; throughput: a ${BACKLOG}-event backlog drained by one dispatcher to a local 204 receiver`]);
    out(`throughput: ${received - before}/${BACKLOG} backlog deliveries in ${seconds.toFixed(2)} s = ${((received - before) / seconds).toFixed(0)} deliveries/s`);
  } finally {
    server.closeAllConnections();
    server.close();
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  },
);
