import { and, asc, count, eq } from 'drizzle-orm';
import { ownedBy, schema, type Database, type Executor } from '../../db/index.js';

const { sandboxPhones, users } = schema;

export type SandboxPhoneRow = schema.SandboxPhoneRow;

/** `taken`: someone holds that number already; `limit`: the owner already holds `cap` phones. */
export type SandboxPhoneInsert = 'inserted' | 'taken' | 'limit';

export interface SandboxPhonesRepository {
  /**
   * Adds the phone unless its number is taken (the primary key decides) or the owner already holds
   * `cap` phones. The count and the insert share one transaction holding the owner's user row, so
   * parallel creates by one user queue there and never pass the cap.
   */
  insert(row: { phoneNumber: string; userId: string; name: string }, cap: number): Promise<SandboxPhoneInsert>;
  /** How many phones the user holds. */
  countOwned(userId: string): Promise<number>;
  /** The phone if `userId` created it; another user's phone reads as absent (→ 404). */
  findOwned(phoneNumber: string, userId: string): Promise<SandboxPhoneRow | null>;
  listOwned(userId: string): Promise<SandboxPhoneRow[]>;
  setName(phoneNumber: string, name: string): Promise<void>;
  delete(phoneNumber: string): Promise<void>;
}

export function createSandboxPhonesRepository(db: Database): SandboxPhonesRepository {
  async function countOwned(userId: string, executor: Executor = db): Promise<number> {
    const [row] = await executor.select({ n: count() }).from(sandboxPhones).where(ownedBy(sandboxPhones, userId));
    return row?.n ?? 0;
  }

  return {
    insert(row, cap) {
      return db.transaction(async (tx): Promise<SandboxPhoneInsert> => {
        await tx.select({ id: users.id }).from(users).where(eq(users.id, row.userId)).for('update');
        if ((await countOwned(row.userId, tx)) >= cap) return 'limit';
        const inserted = await tx.insert(sandboxPhones).values(row).onConflictDoNothing().returning({ phoneNumber: sandboxPhones.phoneNumber });
        return inserted.length > 0 ? 'inserted' : 'taken';
      });
    },
    countOwned: (userId) => countOwned(userId),
    async findOwned(phoneNumber, userId) {
      const [row] = await db
        .select()
        .from(sandboxPhones)
        .where(and(eq(sandboxPhones.phoneNumber, phoneNumber), ownedBy(sandboxPhones, userId)))
        .limit(1);
      return row ?? null;
    },
    listOwned(userId) {
      return db.select().from(sandboxPhones).where(ownedBy(sandboxPhones, userId)).orderBy(asc(sandboxPhones.createdAt), asc(sandboxPhones.phoneNumber));
    },
    async setName(phoneNumber, name) {
      await db.update(sandboxPhones).set({ name }).where(eq(sandboxPhones.phoneNumber, phoneNumber));
    },
    async delete(phoneNumber) {
      await db.delete(sandboxPhones).where(eq(sandboxPhones.phoneNumber, phoneNumber));
    },
  };
}
