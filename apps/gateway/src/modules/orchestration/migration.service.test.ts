import { NotFoundError, type SessionCommandResponse } from '@wagate/contracts';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { createSystemLogsRepository } from '../system-logs/index.js';
import type { SessionRoute } from '../workers/index.js';
import { workersTestApp, type WorkersTestApp } from '../workers/test-support/workers-app.js';
import { createMigrator } from './migration.service.js';

let t: WorkersTestApp;
let calls: string[];
let failRestoreOn: Set<string>;
let hostedOn: Set<string>;
let clock: Date | undefined;

beforeEach(async () => {
  t = await workersTestApp();
  calls = [];
  failRestoreOn = new Set();
  hostedOn = new Set();
  clock = undefined;
});
afterEach(async () => {
  await t.close();
});

const ok = (route: SessionRoute): SessionCommandResponse => ({ sessionId: route.sessionId, status: 'CONNECTING' }) as SessionCommandResponse;

function migrator(stopError?: Error) {
  return createMigrator({
    db: t.database.db,
    repository: t.workers.repository,
    routing: t.workers.routing,
    coordinator: t.coordinator,
    logger: t.app.log,
    audit: createSystemLogsRepository(t.database.db),
    now: () => clock ?? new Date(),
    client: {
      async session(route) {
        if (!hostedOn.has(route.sessionId)) throw new NotFoundError('Session');
        return { sessionId: route.sessionId, epoch: route.epoch, status: 'CONNECTING' } as never;
      },
      async restore(route) {
        calls.push(`restore ${route.sessionId}@${route.workerId}#${route.epoch}`);
        if (failRestoreOn.has(route.workerId)) throw new Error('unreachable');
        return ok(route);
      },
      async stop(route) {
        calls.push(`stop ${route.sessionId}@${route.workerId}#${route.epoch}`);
        if (stopError !== undefined) throw stopError;
        return ok(route);
      },
      async drain(endpoint) {
        calls.push(`drain ${endpoint}`);
      },
    },
  });
}

const worker = (id: string, values: Partial<schema.NewWorkerRow> = {}) =>
  t.database.db.insert(schema.workers).values({ id, endpoint: `http://10.0.0.1:3100/${id}`, maxSessions: 10, status: 'ONLINE', source: 'self', lastHeartbeat: new Date(), ...values });

async function session(workerId: string, status: schema.SessionRow['status'] = 'CONNECTED', epoch = 3): Promise<string> {
  const [row] = await t.database.db.insert(schema.sessions).values({ userId: t.userId, name: 's', workerId, status, epoch }).returning();
  return row!.id;
}

const routingOf = async (id: string) => (await t.database.db.select().from(schema.sessions).where(eq(schema.sessions.id, id)))[0]!;

describe('failover of an OFFLINE worker', () => {
  it('places each live session on another worker with epoch + 1, restores it there and logs the move', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-a');
    await worker('w-b');
    const live = [await session('w-dead'), await session('w-dead', 'CONNECTING'), await session('w-dead')];
    const qr = await session('w-dead', 'QR_READY');

    const result = await migrator().failOver({ id: 'w-dead' });

    expect(result).toEqual({ moved: 3, waiting: 0 });
    const targets = new Set<string>();
    for (const id of live) {
      const row = await routingOf(id);
      expect(row.workerId).not.toBe('w-dead');
      expect(row.epoch).toBe(4);
      expect(row.status).toBe('CONNECTING');
      targets.add(row.workerId!);
      expect(calls).toContain(`restore ${id}@${row.workerId}#4`);
    }
    // Spread by the load balancer, not piled on one worker.
    expect(targets).toEqual(new Set(['w-a', 'w-b']));
    // A QR that was never scanned has no creds: not restored anywhere.
    expect((await routingOf(qr)).workerId).toBe('w-dead');
    expect(calls.some((c) => c.includes('stop'))).toBe(false);
    const logs = await createSystemLogsRepository(t.database.db).list({});
    expect(logs.data.filter((l) => l.message === 'Session failed over from an OFFLINE worker')).toHaveLength(3);
  });

  it('is idempotent: a second pass moves nothing and bumps no epoch', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-a');
    const id = await session('w-dead');
    await migrator().failOver({ id: 'w-dead' });
    const first = await routingOf(id);
    expect(await migrator().failOver({ id: 'w-dead' })).toEqual({ moved: 0, waiting: 0 });
    expect(await migrator().sweep()).toEqual({ moved: 0, waiting: 0 });
    expect((await routingOf(id)).epoch).toBe(first.epoch);
    expect(calls.filter((c) => c.startsWith('restore'))).toHaveLength(1);
  });

  it('leaves the sessions of a worker that came back ONLINE before the failover ran', async () => {
    await worker('w-back');
    await worker('w-a');
    const id = await session('w-back');
    expect(await migrator().failOver({ id: 'w-back' })).toEqual({ moved: 0, waiting: 0 });
    expect((await routingOf(id)).workerId).toBe('w-back');
  });

  it('resumes a failover a dead leader left half done: the sweep of a new leader moves the rest', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-a');
    const ids = [await session('w-dead'), await session('w-dead'), await session('w-dead')];
    // The old leader moved one session, then died.
    expect(await migrator().move(ids[0]!, { id: 'w-dead', endpoint: 'x' }, false)).toBe('moved');
    const next = migrator();
    expect(await next.sweep()).toEqual({ moved: 2, waiting: 0 });
    for (const id of ids) expect((await routingOf(id)).workerId).toBe('w-a');
    expect((await routingOf(ids[0]!)).epoch).toBe(4);
  });

  it('keeps sessions that find no room waiting and places them when capacity appears', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-full', { maxSessions: 1, sessionCount: 0 });
    const ids = [await session('w-dead'), await session('w-dead')];
    expect(await migrator().failOver({ id: 'w-dead' })).toEqual({ moved: 1, waiting: 1 });
    await worker('w-new');
    expect(await migrator().sweep()).toEqual({ moved: 1, waiting: 0 });
    const placed = await Promise.all(ids.map(async (id) => (await routingOf(id)).workerId));
    expect(placed.sort()).toEqual(['w-full', 'w-new']);
  });

  it('never places on the OFFLINE worker itself, nor on a DRAINING one', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-drain', { status: 'DRAINING' });
    const id = await session('w-dead');
    expect(await migrator().failOver({ id: 'w-dead' })).toEqual({ moved: 0, waiting: 1 });
    expect((await routingOf(id)).workerId).toBe('w-dead');
  });

  it('one replica at a time moves a session: a second mover finds it busy', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-a');
    const id = await session('w-dead');
    await t.coordinator.set(`orchestration:move:${id}`, 'another replica', 10_000);
    expect(await migrator().move(id, { id: 'w-dead', endpoint: 'x' }, false)).toBe('busy');
    expect((await routingOf(id)).workerId).toBe('w-dead');
  });

  it('a restore that fails leaves the session routed to the target for the next failover', async () => {
    await worker('w-dead', { status: 'OFFLINE' });
    await worker('w-a');
    failRestoreOn.add('w-a');
    const id = await session('w-dead');
    expect(await migrator().failOver({ id: 'w-dead' })).toEqual({ moved: 1, waiting: 0 });
    expect((await routingOf(id)).workerId).toBe('w-a');
  });
});

describe('drain', () => {
  it('moves sessions one by one, stopping each on the old worker before restoring it on the new one, then drains the worker', async () => {
    await worker('w-old', { status: 'DRAINING' });
    await worker('w-a');
    const ids = [await session('w-old'), await session('w-old')];
    const result = await migrator().drain({ id: 'w-old', endpoint: 'http://10.0.0.1:3100/w-old' });
    expect(result).toEqual({ moved: 2, waiting: 0 });
    const [first, second] = ids.sort();
    expect(calls).toEqual([
      `stop ${first}@w-old#3`,
      `restore ${first}@w-a#4`,
      `stop ${second}@w-old#3`,
      `restore ${second}@w-a#4`,
      'drain http://10.0.0.1:3100/w-old',
    ]);
  });

  it('a session the old worker no longer hosts (404 on stop) is still moved', async () => {
    await worker('w-old', { status: 'DRAINING' });
    await worker('w-a');
    const id = await session('w-old');
    await migrator(new NotFoundError('Session')).drain({ id: 'w-old', endpoint: 'e' });
    expect((await routingOf(id)).workerId).toBe('w-a');
  });

  it('does not move a session the old worker could not stop (no two sockets) and retries it on the sweep', async () => {
    await worker('w-old', { status: 'DRAINING' });
    await worker('w-a');
    const id = await session('w-old');
    expect(await migrator(new Error('timeout')).drain({ id: 'w-old', endpoint: 'e' })).toEqual({ moved: 0, waiting: 1 });
    expect((await routingOf(id)).workerId).toBe('w-old');
    expect(calls).not.toContain('drain e');
    expect(await migrator().sweep()).toEqual({ moved: 1, waiting: 0 });
    expect((await routingOf(id)).workerId).toBe('w-a');
  });
});

describe('a restore lost with the replica that moved the session', () => {
  it('is sent again when the session stays CONNECTING and its worker does not host it', async () => {
    await worker('w-a');
    const lost = await session('w-a', 'CONNECTING', 5);
    const hosted = await session('w-a', 'CONNECTING', 5);
    const fresh = await session('w-a', 'CONNECTING', 5);
    const neverLinked = await session('w-a', 'CONNECTING', 5);
    const old = new Date(Date.now() - 60_000);
    for (const id of [lost, hosted, neverLinked]) await t.database.db.update(schema.sessions).set({ updatedAt: old }).where(eq(schema.sessions.id, id));
    for (const id of [lost, hosted, fresh]) await t.database.db.update(schema.sessions).set({ phoneNumber: '+15550001111' }).where(eq(schema.sessions.id, id));
    // The last update above stamps updatedAt; put the two stale ones back in the past.
    for (const id of [lost, hosted]) await t.database.db.update(schema.sessions).set({ updatedAt: old }).where(eq(schema.sessions.id, id));
    hostedOn.add(hosted);
    const result = await migrator().sweep();
    expect(result.restarted).toBe(1);
    expect(calls).toEqual([`restore ${lost}@w-a#5`]);
  });
});

describe('a worker that lost its lease but was never marked OFFLINE', () => {
  it('gets back, in place and at the same epoch, the linked sessions it dropped during the silence', async () => {
    await worker('w-a');
    const silentSince = new Date(Date.now() - 5000);
    const live = await session('w-a', 'CONNECTED', 7);
    const droppedDuringGap = await session('w-a', 'DISCONNECTED', 7);
    const disconnectedBefore = await session('w-a', 'DISCONNECTED', 7);
    const stillHeld = await session('w-a', 'CONNECTED', 7);
    const neverLinked = await session('w-a', 'CONNECTING', 7);
    for (const id of [live, droppedDuringGap, disconnectedBefore, stillHeld]) await t.database.db.update(schema.sessions).set({ phoneNumber: '+15550001111' }).where(eq(schema.sessions.id, id));
    await t.database.db.update(schema.sessions).set({ updatedAt: new Date(Date.now() - 60_000) }).where(eq(schema.sessions.id, disconnectedBefore));
    const restored = await migrator().recoverAfterLeaseGap({ id: 'w-a', endpoint: 'e' }, { silentSince, reported: [stillHeld] });
    expect(restored).toBe(2);
    expect(calls.sort()).toEqual([`restore ${droppedDuringGap}@w-a#7`, `restore ${live}@w-a#7`].sort());
    void neverLinked;
  });

  it('leaves a session a concurrent failover is moving', async () => {
    await worker('w-a');
    const id = await session('w-a', 'CONNECTED', 2);
    await t.database.db.update(schema.sessions).set({ phoneNumber: '+15550001111' }).where(eq(schema.sessions.id, id));
    await t.coordinator.set(`orchestration:move:${id}`, 'the leader', 10_000);
    expect(await migrator().recoverAfterLeaseGap({ id: 'w-a', endpoint: 'e' }, { silentSince: new Date(0), reported: [] })).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe('rebalance (opt-in)', () => {
  it('moves at most the bound from the busiest worker to an idle one, stopping each first', async () => {
    await worker('w-busy', { sessionCount: 4 });
    await worker('w-new', { sessionCount: 0 });
    for (let i = 0; i < 4; i++) await session('w-busy');
    expect(await migrator().rebalance(1)).toBe(1);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/^stop .*@w-busy#3$/);
    expect(calls[1]).toMatch(/^restore .*@w-new#4$/);
    // Never past even: 3 vs 1 moves one more, 2 vs 2 none.
    expect(await migrator().rebalance(5)).toBe(1);
    expect(await migrator().rebalance(5)).toBe(0);
  });

  it('does nothing when turned off or when the difference is a single session', async () => {
    await worker('w-a');
    await worker('w-b');
    await session('w-a');
    await session('w-a');
    expect(await migrator().rebalance(0)).toBe(0);
    await session('w-b');
    expect(await migrator().rebalance(3)).toBe(0);
    expect(calls).toEqual([]);
  });
});
