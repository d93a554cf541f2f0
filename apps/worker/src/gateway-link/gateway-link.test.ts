import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GatewayLink } from './gateway-link.js';

interface Call {
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

async function fakeGateway(answer: (call: Call) => { status: number; body?: unknown }) {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> };
      calls.push(call);
      const { status, body } = answer(call);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { calls, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

const snapshot = () => ({ sessionCount: 1, cpuUsage: 1, memoryUsage: 2, sessions: [{ sessionId: 's1', epoch: 2, status: 'CONNECTED' as const }] });

describe('GatewayLink', () => {
  it('registers with the bootstrap token, then beats with the issued one and passes on dropped sessions', async () => {
    let registerFailures = 1;
    const gw = await fakeGateway((call) => {
      if (call.path === '/api/v1/internal/workers/register') {
        if (registerFailures-- > 0) return { status: 503 };
        return { status: 200, body: { workerId: 'w-7', token: 'per-worker', heartbeatIntervalMs: 100, leaseTtlMs: 1000 } };
      }
      return { status: 200, body: { ok: true, leaseTtlMs: 1000, dropSessions: [{ sessionId: 's1', epoch: 3 }] } };
    });
    const dropped: unknown[] = [];
    const tokens: string[] = [];
    const link = new GatewayLink({
      gatewayUrl: gw.url,
      bootstrapToken: 'bootstrap-token',
      endpoint: 'http://127.0.0.1:3100',
      maxSessions: 10,
      version: '0.1.0',
      minBackoffMs: 10,
      snapshot,
      onToken: (t) => tokens.push(t),
      onDropSessions: (s) => dropped.push(...s),
    });
    try {
      const registered = await link.register();
      expect(registered.workerId).toBe('w-7');
      expect(tokens).toEqual(['per-worker']);
      await link.heartbeat();
      const beat = gw.calls.at(-1)!;
      expect(beat.path).toBe('/api/v1/internal/workers/w-7/heartbeat');
      expect(beat.auth).toBe('Bearer per-worker');
      expect(beat.body).toMatchObject({ sessionCount: 1, maxSessions: 10, sessions: [{ sessionId: 's1', epoch: 2, status: 'CONNECTED' }] });
      expect(gw.calls[0]!.auth).toBe('Bearer bootstrap-token');
      expect(dropped).toEqual([{ sessionId: 's1', epoch: 3 }]);
      expect(link.leaseValid).toBe(true);
    } finally {
      link.stop();
      await gw.close();
    }
  });

  it('declares the lease lost before it expires when heartbeats keep failing', async () => {
    let healthy = true;
    const gw = await fakeGateway((call) =>
      call.path.endsWith('/register')
        ? { status: 200, body: { workerId: 'w-1', token: 't2', heartbeatIntervalMs: 100, leaseTtlMs: 500 } }
        : healthy
          ? { status: 200, body: { ok: true, leaseTtlMs: 500 } }
          : { status: 500 },
    );
    let lostAt = 0;
    const link = new GatewayLink({ gatewayUrl: gw.url, bootstrapToken: 'b', endpoint: 'http://x:1', maxSessions: 1, version: 'v', snapshot, onLeaseLost: () => (lostAt = Date.now()) });
    try {
      await link.register();
      link.startHeartbeat();
      await new Promise((r) => setTimeout(r, 350));
      expect(lostAt).toBe(0);
      healthy = false;
      const failedFrom = Date.now();
      const deadline = failedFrom + 2000;
      while (lostAt === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(lostAt).toBeGreaterThan(0);
      // The last renewal was at most one interval before `failedFrom`: the lease ran to +500 ms at the latest.
      expect(lostAt - failedFrom).toBeLessThan(500);
    } finally {
      link.stop();
      await gw.close();
    }
  });

  it('declares the lease lost in time even while a heartbeat request hangs without an answer', async () => {
    let hang = false;
    const held: ServerResponse[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url?.endsWith('/register') === true) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ workerId: 'w-h', token: 't', heartbeatIntervalMs: 100, leaseTtlMs: 600 }));
        } else if (hang) held.push(res);
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, leaseTtlMs: 600 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    let lostAt = 0;
    let renewed = 0;
    const link = new GatewayLink({
      gatewayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      bootstrapToken: 'b',
      endpoint: 'http://x:1',
      maxSessions: 1,
      version: 'v',
      snapshot,
      onLeaseLost: () => (lostAt = Date.now()),
      onLeaseRenewed: () => renewed++,
    });
    try {
      await link.register();
      link.startHeartbeat();
      await new Promise((r) => setTimeout(r, 250));
      hang = true;
      const hangingFrom = Date.now();
      while (lostAt === 0 && Date.now() - hangingFrom < 3000) await new Promise((r) => setTimeout(r, 10));
      expect(held.length).toBeGreaterThan(0);
      // Renewed at most one 100 ms interval before the hang: the lease ends by +600 ms, so the
      // watch must act before that although the hung beat has not returned.
      expect(lostAt - hangingFrom).toBeGreaterThan(0);
      expect(lostAt - hangingFrom).toBeLessThan(600);
      expect(renewed).toBe(0);
      hang = false;
      for (const res of held.splice(0)) res.destroy();
      const deadline = Date.now() + 3000;
      while (renewed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(renewed).toBe(1);
      expect(link.leaseValid).toBe(true);
    } finally {
      link.stop();
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
