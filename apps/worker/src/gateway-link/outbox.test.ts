import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventOutbox } from './outbox.js';
import type { NewWorkerEvent, WorkerEvent } from './worker-event.js';

interface Received {
  auth: string | undefined;
  path: string | undefined;
  body: { events: WorkerEvent[] };
}

/** A small gateway stand-in: records POSTs, answers with `status()`. */
async function receiver(port = 0, status: () => number = () => 202): Promise<{ server: Server; port: number; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code < 300) received.push({ auth: req.headers.authorization, path: req.url, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received, close: () => new Promise((r) => server.close(() => r())) };
}

async function freePort(): Promise<number> {
  const r = await receiver();
  await r.close();
  return r.port;
}

const until = async (check: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const ev = (n: number): NewWorkerEvent => ({ type: 'session.status', sessionId: 's1', epoch: 3, data: { status: 'CONNECTING', reason: String(n) } });
const nOf = (e: WorkerEvent): number => Number((e.data as { reason?: string }).reason);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wagate-outbox-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EventOutbox', () => {
  it('journals events, waits out a gateway that is down, then delivers them in order with the token', async () => {
    const port = await freePort();
    const outbox = new EventOutbox({ dir, gatewayUrl: `http://127.0.0.1:${port}/`, workerToken: 'tok-123', workerId: 'w1', minBackoffMs: 20, maxBackoffMs: 100, batchSize: 4 });
    outbox.start();
    const published = [...(await outbox.publish([ev(1), ev(2), ev(3)])), ...(await outbox.publish([ev(4), ev(5)]))];
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    await until(() => outbox.stats.failedAttempts >= 2);
    expect(outbox.pending).toBe(5);

    const gateway = await receiver(port);
    try {
      await until(() => outbox.pending === 0);
      const delivered = gateway.received.flatMap((r) => r.body.events);
      expect(delivered.map(nOf)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(delivered.map((e) => e.id)).size).toBe(5);
      expect(delivered.map((e) => e.id)).toEqual(published.map((e) => e.id));
      expect(delivered[0]).toMatchObject({ type: 'session.status', sessionId: 's1', epoch: 3, workerId: 'w1' });
      expect(delivered[0]!.id).toMatch(/^evt_/);
      expect(gateway.received.map((r) => r.body.events.length)).toEqual([4, 1]);
      expect(gateway.received.every((r) => r.auth === 'Bearer tok-123' && r.path === '/api/v1/internal/events')).toBe(true);
      // Files are removed right after the 2xx is processed.
      const deadline = Date.now() + 2000;
      while ((await readdir(dir)).some((f) => f.endsWith('.json')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toEqual([]);
    } finally {
      await outbox.stop();
      await gateway.close();
    }
  });

  it('keeps events across a restart until the gateway acknowledges them', async () => {
    const port = await freePort();
    const first = new EventOutbox({ dir, gatewayUrl: `http://127.0.0.1:${port}`, workerToken: 't', workerId: 'w1', minBackoffMs: 20 });
    const published = await first.publish([ev(1), ev(2)]);
    // The process "dies" before any delivery: a new outbox on the same folder takes over.
    const gateway = await receiver(port);
    const second = new EventOutbox({ dir, gatewayUrl: `http://127.0.0.1:${port}`, workerToken: 't', workerId: 'w1', minBackoffMs: 20 });
    await second.open();
    expect(second.pending).toBe(2);
    second.start();
    try {
      await until(() => second.pending === 0);
      expect(gateway.received.flatMap((r) => r.body.events.map((e) => e.id))).toEqual(published.map((e) => e.id));
    } finally {
      await second.stop();
      await gateway.close();
    }
  });

  it('retries a batch the gateway answered with 5xx and removes it only after a 2xx', async () => {
    let answers = [503, 500, 200];
    const gateway = await receiver(0, () => answers.shift() ?? 200);
    const outbox = new EventOutbox({ dir, gatewayUrl: `http://127.0.0.1:${gateway.port}`, workerToken: 't', workerId: 'w1', minBackoffMs: 10 });
    outbox.start();
    try {
      await outbox.publish([ev(1)]);
      await until(() => outbox.pending === 0);
      expect(outbox.stats.failedAttempts).toBe(2);
      expect(gateway.received).toHaveLength(1);
    } finally {
      await outbox.stop();
      await gateway.close();
      answers = [];
    }
  });

  it('dead-letters a batch the gateway refuses as malformed instead of blocking the queue', async () => {
    let first = true;
    const gateway = await receiver(0, () => {
      const code = first ? 400 : 200;
      first = false;
      return code;
    });
    const outbox = new EventOutbox({ dir, gatewayUrl: `http://127.0.0.1:${gateway.port}`, workerToken: 't', workerId: 'w1', minBackoffMs: 10, batchSize: 1 });
    outbox.start();
    try {
      await outbox.publish([ev(1), ev(2)]);
      await until(() => outbox.pending === 0);
      expect(outbox.stats.deadLettered).toBe(1);
      expect(gateway.received.flatMap((r) => r.body.events.map(nOf))).toEqual([2]);
      expect(await readdir(join(dir, 'dead'))).toHaveLength(1);
    } finally {
      await outbox.stop();
      await gateway.close();
    }
  });

  it('keeps ids the gateway did not settle, and passes on sessions to drop', async () => {
    let call = 0;
    const dropped: { sessionId: string; epoch: number }[][] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: WorkerEvent[] };
        call++;
        // First answer settles only the first event (one acknowledged, none rejected); then all.
        const body =
          call === 1
            ? { acknowledged: [events[0]!.id], rejected: [], dropSessions: [{ sessionId: 's9', epoch: 4 }] }
            : { acknowledged: [], rejected: events.map((e) => ({ id: e.id, code: 'STALE_EPOCH' })), dropSessions: [] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const outbox = new EventOutbox({ dir, gatewayUrl: `http://127.0.0.1:${port}`, workerToken: 't', workerId: 'w1', minBackoffMs: 10, onDropSessions: (s) => dropped.push(s) });
    outbox.start();
    try {
      await outbox.publish([ev(1), ev(2)]);
      await until(() => outbox.pending === 0);
      expect(call).toBe(2);
      expect(dropped).toEqual([[{ sessionId: 's9', epoch: 4 }]]);
    } finally {
      await outbox.stop();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses to journal an event that breaks the contract', async () => {
    const outbox = new EventOutbox({ dir, gatewayUrl: 'http://127.0.0.1:9', workerToken: 't', workerId: 'w1' });
    const bad = { type: 'session.status', sessionId: 's1', epoch: 1, data: { status: 'SLEEPING' } } as unknown as NewWorkerEvent;
    await expect(outbox.publish([bad])).rejects.toThrow(/contract/);
    expect(outbox.pending).toBe(0);
  });
});
