import { MemoryCoordinator } from '@wagate/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type DatabaseHandle } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createUserStatusCache } from './user-status.js';
import { createUsersRepository, type UsersRepository } from './users.repository.js';

describe('user status cache', () => {
  let database: DatabaseHandle;
  let users: UsersRepository;
  const coordinator = new MemoryCoordinator();
  beforeAll(async () => {
    database = await openTestPglite();
    users = createUsersRepository(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await coordinator.close();
  });

  it('does not let a read that started before a change cache the old state after invalidation', async () => {
    const [row] = await database.db.insert(schema.users).values({ email: 'race@example.test', passwordHash: 'x' }).returning();
    // A reader whose database read is held until after the admin's write and invalidation.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowUsers: UsersRepository = {
      ...users,
      findById: async (id) => {
        const before = await users.findById(id);
        await held;
        return before;
      },
    };
    const slowReader = createUserStatusCache({ coordinator, users: slowUsers });
    const cache = createUserStatusCache({ coordinator, users });
    const stale = slowReader.get(row!.id);
    await new Promise((r) => setTimeout(r, 10));
    await users.update(row!.id, { isActive: false });
    await cache.invalidate(row!.id);
    release();
    expect((await stale)?.isActive).toBe(true); // that reader saw the old row…
    expect((await cache.get(row!.id))?.isActive).toBe(false); // …but did not cache it for others
  });

  it('falls back to the database when the Coordinator fails', async () => {
    const [row] = await database.db.insert(schema.users).values({ email: 'down@example.test', passwordHash: 'x' }).returning();
    const broken = new MemoryCoordinator();
    await broken.close();
    const cache = createUserStatusCache({ coordinator: broken, users });
    expect(await cache.get(row!.id)).toEqual({ role: 'USER', tier: 'BASIC', isActive: true });
  });
});
