// SQL for endpoints and their delivery log. Endpoints are scoped by owner through the session
// (webhooks.user_id mirrors sessions.user_id); deliveries are reached only through their endpoint.
import { ValidationError } from '@wagate/contracts';
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { ownedBy, schema, type Executor } from '../../db/index.js';

const { webhooks, webhookDeliveries, sessions } = schema;

export type WebhookRow = schema.WebhookRow;
export type WebhookDeliveryRow = schema.WebhookDeliveryRow;

/** Cursor over (created_at in microseconds, id), newest first, as in system-logs. */
function encodeCursor(micros: string, id: string): string {
  return Buffer.from(`${micros}:${id}`, 'utf8').toString('base64url');
}
function decodeCursor(raw: string): { micros: string; id: string } {
  const m = /^(\d{1,19}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m) throw new ValidationError([{ path: 'query.cursor', message: 'Invalid cursor.' }]);
  return { micros: m[1]!, id: m[2]! };
}

function pageWhere(column: typeof webhooks.createdAt | typeof webhookDeliveries.createdAt, idColumn: typeof webhooks.id | typeof webhookDeliveries.id, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const c = decodeCursor(cursor);
  return sql`(${column}, ${idColumn}) < (to_timestamp(0) + ${c.micros}::bigint * interval '1 microsecond', ${c.id})`;
}

export function createWebhooksRepository(db: Executor) {
  const webhookMicros = sql<string>`(extract(epoch from ${webhooks.createdAt}) * 1000000)::bigint::text`;
  const deliveryMicros = sql<string>`(extract(epoch from ${webhookDeliveries.createdAt}) * 1000000)::bigint::text`;

  return {
    /** The session if `userId` owns it (or any session for an admin), else undefined. */
    async findSession(sessionId: string, userId: string, admin: boolean) {
      const [row] = await db
        .select({ id: sessions.id, userId: sessions.userId, status: sessions.status, phoneNumber: sessions.phoneNumber })
        .from(sessions)
        .where(admin ? eq(sessions.id, sessionId) : and(eq(sessions.id, sessionId), ownedBy(sessions, userId)))
        .limit(1);
      return row;
    },

    async insert(row: schema.NewWebhookRow & { id: string }) {
      const [created] = await db.insert(webhooks).values(row).returning();
      return created!;
    },

    async findInSession(sessionId: string, webhookId: string) {
      const [row] = await db
        .select()
        .from(webhooks)
        .where(and(eq(webhooks.id, webhookId), eq(webhooks.sessionId, sessionId)))
        .limit(1);
      return row;
    },

    async listInSession(sessionId: string, limit: number, cursor: string | undefined) {
      const where = [eq(webhooks.sessionId, sessionId), pageWhere(webhooks.createdAt, webhooks.id, cursor)].filter((w): w is SQL => w !== undefined);
      const rows = await db
        .select({ row: webhooks, micros: webhookMicros })
        .from(webhooks)
        .where(and(...where))
        .orderBy(desc(webhooks.createdAt), desc(webhooks.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { data: page.map((r) => r.row), nextCursor: rows.length > limit && last ? encodeCursor(last.micros, last.row.id) : null };
    },

    async update(webhookId: string, patch: Partial<Pick<WebhookRow, 'url' | 'events' | 'isActive' | 'disabledReason' | 'failureCount' | 'failingSince' | 'secretCiphertext' | 'previousSecretCiphertext' | 'previousSecretExpiresAt'>>) {
      const [row] = await db.update(webhooks).set(patch).where(eq(webhooks.id, webhookId)).returning();
      return row;
    },

    async delete(webhookId: string): Promise<void> {
      await db.delete(webhooks).where(eq(webhooks.id, webhookId));
    },

    /** Pending deliveries of an endpoint that was turned off are settled, so dispatchers stop looking at them. */
    async settlePendingAsDisabled(webhookId: string): Promise<void> {
      await db
        .update(webhookDeliveries)
        .set({ status: 'DISABLED', lockedUntil: null })
        .where(and(eq(webhookDeliveries.webhookId, webhookId), sql`${webhookDeliveries.status} in ('PENDING', 'DELIVERING')`));
    },

    async listDeliveries(webhookId: string, limit: number, cursor: string | undefined) {
      const where = [eq(webhookDeliveries.webhookId, webhookId), pageWhere(webhookDeliveries.createdAt, webhookDeliveries.id, cursor)].filter((w): w is SQL => w !== undefined);
      const rows = await db
        .select({ row: webhookDeliveries, micros: deliveryMicros })
        .from(webhookDeliveries)
        .where(and(...where))
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { data: page.map((r) => r.row), nextCursor: rows.length > limit && last ? encodeCursor(last.micros, last.row.id) : null };
    },

    async findDelivery(webhookId: string, deliveryId: string) {
      const [row] = await db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, webhookId)))
        .limit(1);
      return row;
    },

    /**
     * Manual redelivery: the same row (same event id, so the same `webhook-id`) becomes due now.
     * A row being delivered right now is left alone (its attempt is in flight).
     */
    async requeueDelivery(deliveryId: string) {
      const [row] = await db
        .update(webhookDeliveries)
        .set({ status: 'PENDING', nextAttemptAt: sql`now()`, lockedUntil: null })
        .where(and(eq(webhookDeliveries.id, deliveryId), sql`${webhookDeliveries.status} <> 'DELIVERING'`))
        .returning();
      return row;
    },

    async insertDelivery(row: schema.NewWebhookDeliveryRow & { id: string }) {
      const [created] = await db.insert(webhookDeliveries).values(row).onConflictDoNothing().returning();
      return created;
    },
  };
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>;
