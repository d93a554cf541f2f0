// The API request's id reaches the worker: the worker client sends it as x-request-id.
import Fastify from 'fastify';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpWorkerClient } from '../modules/workers/index.js';
import { currentRequestId, registerRequestContext, withRequestId } from './request-context.js';

describe('request id propagation to workers', () => {
  const seen: IncomingHttpHeaders[] = [];
  const worker = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'ok', workerId: 'w1', version: '1', sessionCount: 0, maxSessions: 1, cpuUsage: 0, memoryUsage: 0, uptimeSeconds: 1 }));
  });
  let endpoint = '';
  const client = createHttpWorkerClient({ token: 'x'.repeat(24) });

  beforeAll(async () => {
    await new Promise<void>((r) => worker.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(worker.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.close();
    await new Promise((r) => worker.close(r));
  });

  it('sends the id of the request being served, and none outside a request', async () => {
    await withRequestId('req-abc', () => client.health(endpoint));
    await client.health(endpoint);
    expect(seen.at(-2)?.['x-request-id']).toBe('req-abc');
    expect(seen.at(-1)?.['x-request-id']).toBeUndefined();
  });

  it('keeps each concurrent request’s own id through a Fastify handler', async () => {
    const app = Fastify({ genReqId: (req) => String(req.headers['x-request-id']) });
    registerRequestContext(app);
    app.get('/x', async () => {
      await new Promise((r) => setTimeout(r, 10));
      await client.health(endpoint);
      return { id: currentRequestId() };
    });
    const answers = await Promise.all(['r1', 'r2', 'r3'].map((id) => app.inject({ method: 'GET', url: '/x', headers: { 'x-request-id': id } })));
    expect(answers.map((a) => a.json().id)).toEqual(['r1', 'r2', 'r3']);
    expect(seen.slice(-3).map((h) => h['x-request-id']).sort()).toEqual(['r1', 'r2', 'r3']);
    await app.close();
  });
});
