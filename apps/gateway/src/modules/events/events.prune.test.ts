import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema, type DatabaseHandle } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createEventsRepository, INGEST_MEMORY_RETENTION_MS } from './events.repository.js';

const { users, sessions, sessionPlacements, processedEvents } = schema;
let handle: DatabaseHandle;

beforeEach(async () => {
  handle = await openTestPglite();
});
afterEach(async () => {
  await handle.close();
});

describe('pruning what the ingest remembers', () => {
  it('forgets processed event ids and past placements older than the retention, never a session\'s current placement', async () => {
    const { db } = handle;
    const now = Date.now();
    const old = new Date(now - INGEST_MEMORY_RETENTION_MS - 60_000);
    const recent = new Date(now - 60_000);
    const [user] = await db.insert(users).values({ email: 'prune@example.com', passwordHash: 'x' }).returning();
    const [moved] = await db.insert(sessions).values({ userId: user!.id, name: 'moved' }).returning();
    const [idle] = await db.insert(sessions).values({ userId: user!.id, name: 'idle' }).returning();
    await db.update(sessions).set({ epoch: 3 }).where(eq(sessions.id, moved!.id));
    await db.update(sessions).set({ epoch: 1 }).where(eq(sessions.id, idle!.id));
    await db.insert(sessionPlacements).values([
      { sessionId: moved!.id, epoch: 1, workerId: 'wkr_a', placedAt: old },
      { sessionId: moved!.id, epoch: 2, workerId: 'wkr_b', placedAt: recent },
      { sessionId: moved!.id, epoch: 3, workerId: 'wkr_c', placedAt: recent },
      // Placed long ago and never moved since: still where its worker sends from.
      { sessionId: idle!.id, epoch: 1, workerId: 'wkr_a', placedAt: old },
    ]);
    await db.insert(processedEvents).values([
      { eventId: 'evt_old', sessionId: moved!.id, processedAt: old },
      { eventId: 'evt_new', sessionId: moved!.id, processedAt: recent },
    ]);

    const pruned = await createEventsRepository().prune(db, new Date(now - INGEST_MEMORY_RETENTION_MS));
    expect(pruned).toEqual({ processedEvents: 1, placements: 1 });
    expect((await db.select().from(processedEvents)).map((r) => r.eventId)).toEqual(['evt_new']);
    const left = await db.select().from(sessionPlacements);
    expect(left.map((r) => `${r.sessionId === moved!.id ? 'moved' : 'idle'}@${r.epoch}`).sort()).toEqual(['idle@1', 'moved@2', 'moved@3']);
  });
});
