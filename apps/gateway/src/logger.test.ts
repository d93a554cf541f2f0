import { MemoryCoordinator } from '@wagate/storage';
import type { BlobStore } from '@wagate/storage';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { parseGatewayConfig } from './config.js';
import type { Database } from './db/index.js';
import { loggerOptions } from './logger.js';

describe('gateway logs', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const coordinator = new MemoryCoordinator();
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    const logger = pino(loggerOptions('info'), sink);
    app = await buildApp({
      config: parseGatewayConfig({}),
      // Logging never touches the database; the health route is not called here.
      database: { db: {} as Database, ping: async () => undefined },
      coordinator,
      blobStore: { ping: async () => undefined } as unknown as BlobStore,
      logger,
    });
    app.post('/test/login', async (request) => {
      request.log.info({ body: request.body, token: 'tok-123', user: { refreshToken: 'rt-456', apiKey: 'wg_live_secret' } }, 'login attempt');
      return { ok: true };
    });
    app.get('/test/crash', async () => {
      throw new Error('boom in the service');
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await coordinator.close();
  });

  it('puts the request id on every line of a request', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/login', headers: { 'x-request-id': 'req-log-1' }, payload: { email: 'a@b.c', password: 'hunter22' } });
    expect(res.statusCode).toBe(200);
    const mine = lines.filter((l) => l.requestId === 'req-log-1');
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'login attempt', 'request completed']));
  });

  it('redacts passwords, tokens and keys wherever they are logged', async () => {
    await app.inject({ method: 'POST', url: '/test/login', headers: { 'x-request-id': 'req-log-2', authorization: 'Bearer abc' }, payload: { email: 'a@b.c', password: 'hunter22' } });
    const text = lines.filter((l) => l.requestId === 'req-log-2').map((l) => JSON.stringify(l)).join('\n');
    expect(text).toContain('[redacted]');
    for (const secret of ['hunter22', 'tok-123', 'rt-456', 'wg_live_secret', 'Bearer abc']) expect(text).not.toContain(secret);
  });

  it('logs an unexpected error with its stack while the client sees none', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/crash', headers: { 'x-request-id': 'req-log-3' } });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('boom');
    const logged = lines.find((l) => l.requestId === 'req-log-3' && l.level === 50) as { err?: { stack?: string } } | undefined;
    expect(logged?.err?.stack).toContain('boom in the service');
  });
});
