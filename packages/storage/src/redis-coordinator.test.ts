import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../../test-support/redis.js';
import { describeCoordinatorContract } from './coordinator.contract.js';
import { createCoordinator } from './create-coordinator.js';
import { RedisCoordinator } from './redis-coordinator.js';

const runPrefix = uniquePrefix('storage');
let tests = 0;
const open: RedisCoordinator[] = [];

function coordinator(prefix = `${runPrefix}${++tests}:`, connectionName?: string): RedisCoordinator {
  const c = new RedisCoordinator({ url: testRedisUrl(), keyPrefix: prefix, ...(connectionName ? { connectionName } : {}) });
  open.push(c);
  return c;
}

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await deleteKeysWithPrefix(runPrefix);
});

describeCoordinatorContract('RedisCoordinator', () => coordinator());

describe('RedisCoordinator', () => {
  it('is what createCoordinator picks when a Redis URL is given, with its key prefix', async () => {
    const c = createCoordinator({ redisUrl: testRedisUrl(), keyPrefix: `${runPrefix}factory:` });
    try {
      expect(c).toBeInstanceOf(RedisCoordinator);
      await c.set('k', 'v');
      const admin = new Redis(testRedisUrl());
      expect(await admin.get(`${runPrefix}factory:k`)).toBe('v');
      admin.disconnect();
    } finally {
      await c.close();
    }
  });

  it('lets two gateways sharing one Redis admit exactly the limit in total', async () => {
    const prefix = `${runPrefix}shared:`;
    const [a, b] = [coordinator(prefix), coordinator(prefix)];
    const rule = { limit: 37, windowMs: 60_000 };
    const calls = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).rateLimit('tenant', rule));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.allowed)).toHaveLength(37);
    const denied = results.filter((r) => !r.allowed);
    expect(denied.every((r) => r.remaining === 0 && r.retryAfterMs > 0)).toBe(true);
  });

  it('delivers pub/sub between two instances and keeps prefixes apart', async () => {
    const prefix = `${runPrefix}pubsub:`;
    const [a, b] = [coordinator(prefix), coordinator(prefix)];
    const stranger = coordinator(`${runPrefix}elsewhere:`);
    const seen: string[] = [];
    const strangerSeen: string[] = [];
    await b.subscribe('events', (m) => seen.push(m));
    await stranger.subscribe('events', (m) => strangerSeen.push(m));
    await a.publish('events', 'hello');
    await a.set('k', 'from-a');
    await expect.poll(() => seen).toEqual(['hello']);
    expect(await b.get('k')).toBe('from-a');
    expect(await stranger.get('k')).toBeNull();
    expect(strangerSeen).toEqual([]);
  });

  it('resubscribes after the subscriber connection drops', async () => {
    // A name unique to this run, so only this coordinator's subscriber is killed.
    const name = `wagate-test-${Date.now().toString(36)}-${tests}`;
    const c = coordinator(undefined, name);
    const seen: string[] = [];
    await c.subscribe('survives', (m) => seen.push(m));
    await c.publish('survives', 'before');
    await expect.poll(() => seen).toEqual(['before']);

    const admin = new Redis(testRedisUrl());
    try {
      const clients = (await admin.client('LIST')) as string;
      const ids = clients
        .split('\n')
        .filter((line) => line.includes(`name=${name}-subscriber `))
        .flatMap((line) => /\bid=(\d+)/.exec(line)?.[1] ?? []);
      expect(ids).toHaveLength(1);
      await admin.client('KILL', 'ID', ids[0]!);
    } finally {
      admin.disconnect();
    }
    // Publishing is retried because the resubscription takes a moment after the reconnect.
    await expect
      .poll(async () => {
        await c.publish('survives', 'after');
        return seen.includes('after');
      }, { timeout: 5000, interval: 100 })
      .toBe(true);
  });

  it('fails fast while Redis is gone mid-run, then recovers with its subscriptions', async () => {
    const proxy = await startProxy(new URL(testRedisUrl()));
    const url = new URL(testRedisUrl());
    url.host = `127.0.0.1:${proxy.port}`;
    const c = new RedisCoordinator({ url: url.toString(), keyPrefix: `${runPrefix}outage:` });
    open.push(c);
    const seen: string[] = [];
    await c.subscribe('ch', (m) => seen.push(m));
    await c.set('k', 'v');

    await proxy.stop();
    await expect.poll(async () => c.get('k').then(() => 'up', () => 'down'), { timeout: 3000, interval: 50 }).toBe('down');
    for (const call of [() => c.get('k'), () => c.increment('n'), () => c.publish('ch', 'lost')]) {
      const started = Date.now();
      await expect(call()).rejects.toThrow(/unavailable/);
      expect(Date.now() - started).toBeLessThan(200);
    }

    await proxy.start();
    await expect.poll(async () => c.get('k').catch(() => null), { timeout: 5000, interval: 100 }).toBe('v');
    await expect
      .poll(async () => {
        await c.publish('ch', 'back');
        return seen.includes('back');
      }, { timeout: 5000, interval: 100 })
      .toBe(true);
    await proxy.stop();
  });

  it('rejects quickly instead of hanging when Redis is unreachable', async () => {
    const errors: unknown[] = [];
    const c = new RedisCoordinator({ url: 'redis://127.0.0.1:1', keyPrefix: runPrefix, onError: (e) => errors.push(e) });
    try {
      for (const call of [() => c.get('k'), () => c.set('k', 'v'), () => c.rateLimit('k', { limit: 1, windowMs: 1000 }), () => c.ping()]) {
        const started = Date.now();
        await expect(call()).rejects.toThrow(/unavailable/);
        expect(Date.now() - started).toBeLessThan(1600);
      }
      await expect(c.subscribe('ch', () => undefined)).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});

/** A TCP proxy to Redis that the test can cut and restore, to play an outage. */
async function startProxy(target: URL): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const start = async (): Promise<void> => {
    server = net.createServer((inbound) => {
      const outbound = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [inbound, outbound]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  const stop = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  };
  await start();
  return { port, stop, start };
}
