import { and, asc, eq } from 'drizzle-orm';
import { ownedBy, schema, type Database } from '../../db/index.js';

const { sandboxPhones } = schema;

export type SandboxPhoneRow = schema.SandboxPhoneRow;

export interface SandboxPhonesRepository {
  /** False when the number is already someone's (the primary key decides, so two racing creates cannot both win). */
  insert(row: { phoneNumber: string; userId: string; name: string }): Promise<boolean>;
  /** The phone if `userId` created it; another user's phone reads as absent (→ 404). */
  findOwned(phoneNumber: string, userId: string): Promise<SandboxPhoneRow | null>;
  listOwned(userId: string): Promise<SandboxPhoneRow[]>;
  setName(phoneNumber: string, name: string): Promise<void>;
  delete(phoneNumber: string): Promise<void>;
}

export function createSandboxPhonesRepository(db: Database): SandboxPhonesRepository {
  return {
    async insert(row) {
      const inserted = await db.insert(sandboxPhones).values(row).onConflictDoNothing().returning({ phoneNumber: sandboxPhones.phoneNumber });
      return inserted.length > 0;
    },
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
