import { createCoordinator, type Coordinator } from '@wagate/storage';
import { AppError } from '@wagate/contracts';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../../../../test-support/redis.js';
import { schema } from '../../db/index.js';
import { ROUTE_CACHE_PREFIX, WORKER_CACHE_PREFIX } from './routing.service.js';
import { workersTestApp, type WorkersTestApp } from './test-support/workers-app.js';

async function addWorker(t: WorkersTestApp, id: string, overrides: Partial<schema.NewWorkerRow> = {}) {
  await t.database.db.insert(schema.workers).values({ id, endpoint: `http://127.0.0.1:${4000 + Math.floor(Math.random() * 5000)}/${id}`, maxSessions: 10, status: 'ONLINE', source: 'self', lastHeartbeat: new Date(), ...overrides });
}

const backends: [string, () => { coordinator: Coordinator; cleanup(): Promise<void> }][] = [
  ['memory', () => ({ coordinator: createCoordinator(), cleanup: async () => undefined })],
  [
    'redis',
    () => {
      const prefix = uniquePrefix('workers-routing');
      const coordinator = createCoordinator({ redisUrl: testRedisUrl(), keyPrefix: prefix });
      return { coordinator, cleanup: async () => void (await deleteKeysWithPrefix(prefix)) };
    },
  ],
];

describe.each(backends)('SessionRouting (%s coordinator)', (_name, makeCoordinator) => {
  let t: WorkersTestApp;
  let backend: ReturnType<(typeof backends)[number][1]>;
  beforeEach(async () => {
    backend = makeCoordinator();
    t = await workersTestApp({ coordinator: backend.coordinator, routingCacheTtlMs: 60_000 });
  });
  afterEach(async () => {
    await t.close();
    await backend.coordinator.close();
    await backend.cleanup();
  });

  it('places an unplaced session on the least loaded ONLINE worker and bumps the epoch', async () => {
    await addWorker(t, 'w-busy', { sessionCount: 5 });
    await addWorker(t, 'w-idle', { sessionCount: 1 });
    await addWorker(t, 'w-off', { status: 'OFFLINE' });
    const sessionId = await t.createSession();
    const route = await t.workers.routing.place(sessionId);
    expect(route).toMatchObject({ sessionId, workerId: 'w-idle', epoch: 1 });
    const [row] = await t.database.db.select().from(schema.sessions).where(eq(schema.sessions.id, sessionId));
    expect(row).toMatchObject({ workerId: 'w-idle', epoch: 1 });
  });

  it('keeps an ONLINE worker on a new connect and still increments the epoch', async () => {
    await addWorker(t, 'w-a');
    const sessionId = await t.createSession();
    expect((await t.workers.routing.place(sessionId)).epoch).toBe(1);
    await addWorker(t, 'w-b', { sessionCount: 0 });
    expect(await t.workers.routing.place(sessionId)).toMatchObject({ workerId: 'w-a', epoch: 2 });
  });

  it('moves a session off a DRAINING worker on its next connect', async () => {
    await addWorker(t, 'w-a');
    const sessionId = await t.createSession();
    await t.workers.routing.place(sessionId);
    await addWorker(t, 'w-b');
    await t.workers.repository.setStatus('w-a', 'DRAINING');
    expect(await t.workers.routing.place(sessionId)).toMatchObject({ workerId: 'w-b', epoch: 2 });
  });

  it('spreads a burst of connects over workers before any heartbeat', async () => {
    await addWorker(t, 'w-1');
    await addWorker(t, 'w-2');
    await addWorker(t, 'w-3');
    const ids = await Promise.all(Array.from({ length: 9 }, () => t.createSession()));
    const routes = await Promise.all(ids.map((id) => t.workers.routing.place(id)));
    const perWorker = new Map<string, number>();
    for (const r of routes) perWorker.set(r.workerId, (perWorker.get(r.workerId) ?? 0) + 1);
    expect([...perWorker.values()].sort()).toEqual([3, 3, 3]);
  });

  it('throws NO_WORKER_AVAILABLE (503) when every worker is full, draining or offline', async () => {
    await addWorker(t, 'w-full', { sessionCount: 10 });
    await addWorker(t, 'w-drain', { status: 'DRAINING' });
    const sessionId = await t.createSession();
    const error = await t.workers.routing.place(sessionId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'NO_WORKER_AVAILABLE', status: 503 });
    const [row] = await t.database.db.select().from(schema.sessions).where(eq(schema.sessions.id, sessionId));
    expect(row).toMatchObject({ workerId: null, epoch: 0 });
  });

  it('answers NOT_FOUND for a session that does not exist', async () => {
    await addWorker(t, 'w-a');
    await expect(t.workers.routing.place('ses_missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('caches the route, and place() invalidates it at once', async () => {
    await addWorker(t, 'w-a');
    const sessionId = await t.createSession();
    await t.workers.routing.place(sessionId);
    expect(await t.workers.routing.current(sessionId)).toMatchObject({ workerId: 'w-a', epoch: 1 });
    expect(await backend.coordinator.get(ROUTE_CACHE_PREFIX + sessionId)).not.toBeNull();

    // A change behind the cache's back is not seen (it is a cache)…
    await t.database.db.update(schema.sessions).set({ epoch: 41 }).where(eq(schema.sessions.id, sessionId));
    expect((await t.workers.routing.current(sessionId))!.epoch).toBe(1);
    // …but place() bumps the epoch and invalidates, so the next read is current.
    await t.workers.routing.place(sessionId);
    expect((await t.workers.routing.current(sessionId))!.epoch).toBe(42);
  });

  it('release() forgets the assignment at once and keeps the epoch', async () => {
    await addWorker(t, 'w-a');
    const sessionId = await t.createSession();
    await t.workers.routing.place(sessionId);
    expect(await t.workers.routing.current(sessionId)).not.toBeNull();
    await t.workers.routing.release(sessionId);
    expect(await t.workers.routing.current(sessionId)).toBeNull();
    const [row] = await t.database.db.select().from(schema.sessions).where(eq(schema.sessions.id, sessionId));
    expect(row).toMatchObject({ workerId: null, epoch: 1 });
  });

  it('stops routing to a worker the moment it is marked OFFLINE or deleted', async () => {
    await addWorker(t, 'w-a');
    const sessionId = await t.createSession();
    await t.workers.routing.place(sessionId);
    expect(await t.workers.routing.current(sessionId)).not.toBeNull();
    expect(await backend.coordinator.get(WORKER_CACHE_PREFIX + 'w-a')).not.toBeNull();

    await t.workers.repository.setStatus('w-a', 'OFFLINE');
    await t.workers.routing.invalidateWorker('w-a');
    expect(await t.workers.routing.current(sessionId)).toBeNull();

    await t.workers.repository.setStatus('w-a', 'DRAINING');
    await t.workers.routing.invalidateWorker('w-a');
    // A DRAINING worker still serves the sessions it holds.
    expect(await t.workers.routing.current(sessionId)).toMatchObject({ workerId: 'w-a' });

    // The session's cached route still names w-a; the worker entry, dropped on delete, decides.
    await t.workers.service.remove('w-a', t.adminId);
    expect(await t.workers.routing.current(sessionId)).toBeNull();
  });
});
