// SQL for endpoints and their delivery log. Endpoints are scoped by owner through the session
// (webhooks.user_id mirrors sessions.user_id); deliveries are reached only through their endpoint.
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { createdMicros, keysetPage, olderThanCursor, ownedBy, schema, type Executor } from '../../db/index.js';

const { webhooks, webhookDeliveries, sessions } = schema;

export type WebhookRow = schema.WebhookRow;
export type WebhookDeliveryRow = schema.WebhookDeliveryRow;


export function createWebhooksRepository(db: Executor) {
  const webhookMicros = createdMicros(webhooks.createdAt);
  const deliveryMicros = createdMicros(webhookDeliveries.createdAt);

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
      const where = [eq(webhooks.sessionId, sessionId), olderThanCursor(webhooks.createdAt, webhooks.id, cursor)].filter((w): w is SQL => w !== undefined);
      const rows = await db
        .select({ row: webhooks, micros: webhookMicros })
        .from(webhooks)
        .where(and(...where))
        .orderBy(desc(webhooks.createdAt), desc(webhooks.id))
        .limit(limit + 1);
      return keysetPage(rows, limit);
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
      const where = [eq(webhookDeliveries.webhookId, webhookId), olderThanCursor(webhookDeliveries.createdAt, webhookDeliveries.id, cursor)].filter((w): w is SQL => w !== undefined);
      const rows = await db
        .select({ row: webhookDeliveries, micros: deliveryMicros })
        .from(webhookDeliveries)
        .where(and(...where))
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(limit + 1);
      return keysetPage(rows, limit);
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
