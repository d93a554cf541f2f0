import { describe, expect, it } from 'vitest';
import { addWorkerBody, adminStats, adminUpdateUserBody } from './admin.js';
import { createSandboxPhoneBody, sandboxPairingCodeBody, sandboxSendBody, sandboxUnlinkBody } from './sandbox.js';
import { createWebhookBody, updateWebhookBody, webhook, webhookCreatedResponse, webhookDelivery } from './webhooks.js';

const now = '2026-01-01T00:00:00.000Z';

describe('webhooks', () => {
  it('accepts a subscription and defaults active', () => {
    expect(createWebhookBody.parse({ url: 'https://hooks.example.com/wa', events: ['message.received'] })).toEqual({
      url: 'https://hooks.example.com/wa',
      events: ['message.received'],
      active: true,
    });
  });
  it('rejects empty, unknown or repeated events and non-http urls', () => {
    expect(createWebhookBody.safeParse({ url: 'https://h.example.com', events: [] }).success).toBe(false);
    expect(createWebhookBody.safeParse({ url: 'https://h.example.com', events: ['message.deleted'] }).success).toBe(false);
    expect(createWebhookBody.safeParse({ url: 'https://h.example.com', events: ['session.qr', 'session.qr'] }).success).toBe(false);
    expect(createWebhookBody.safeParse({ url: 'ftp://h.example.com', events: ['session.qr'] }).success).toBe(false);
  });
  it('checks a caller-supplied secret', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(createWebhookBody.safeParse({ url: 'https://h.example.com', events: ['session.qr'], secret }).success).toBe(true);
    expect(createWebhookBody.safeParse({ url: 'https://h.example.com', events: ['session.qr'], secret: 'hunter2' }).success).toBe(false);
  });
  it('needs at least one field on patch', () => {
    expect(updateWebhookBody.safeParse({}).success).toBe(false);
    expect(updateWebhookBody.safeParse({ active: false }).success).toBe(true);
    expect(updateWebhookBody.safeParse({ secret: 'x' }).success).toBe(false);
  });
  it('shows the secret only in the create response', () => {
    const view = { id: 'wh_1', sessionId: 'ses_1', url: 'https://h.example.com', events: ['session.qr'], active: true, createdAt: now, updatedAt: now };
    expect(webhook.parse({ ...view, secret: 'whsec_x' })).not.toHaveProperty('secret');
    expect(webhookCreatedResponse.parse({ webhook: { ...view, secret: 'whsec_x' } }).webhook.secret).toBe('whsec_x');
  });
  it('parses a delivery row', () => {
    const row = { id: 'dl_1', event: 'message.sent', status: 'PENDING', attempts: 0, responseCode: null, nextRetry: now, createdAt: now };
    expect(webhookDelivery.parse(row)).toEqual(row);
  });
});

describe('admin', () => {
  it('validates a hand-added worker', () => {
    expect(addWorkerBody.safeParse({ endpoint: 'http://worker-1:4000', maxSessions: 50 }).success).toBe(true);
    expect(addWorkerBody.safeParse({ endpoint: 'http://worker-1:4000', maxSessions: 0 }).success).toBe(false);
    expect(addWorkerBody.safeParse({ endpoint: 'http://worker-1:4000', maxSessions: 10_001 }).success).toBe(false);
    expect(addWorkerBody.safeParse({ endpoint: 'worker-1:4000', maxSessions: 5 }).success).toBe(false);
  });
  it('needs at least one field on a user patch', () => {
    expect(adminUpdateUserBody.safeParse({}).success).toBe(false);
    expect(adminUpdateUserBody.safeParse({ tier: 'PRO' }).success).toBe(true);
    expect(adminUpdateUserBody.safeParse({ tier: 'GOLD' }).success).toBe(false);
    expect(adminUpdateUserBody.safeParse({ email: 'x@y.z' }).success).toBe(false);
  });
  it('wants every session status in the stats', () => {
    const counts = { total: 0, byStatus: { DISCONNECTED: 0, CONNECTING: 0, QR_READY: 0, CONNECTED: 0, LOGGED_OUT: 0, FAILED: 0 } };
    const stats = {
      users: { total: 1, active: 1 },
      sessions: counts,
      workers: { total: 0, online: 0, draining: 0, offline: 0, capacity: 0 },
      messages: { sentLast24h: 0, receivedLast24h: 0, failedLast24h: 0 },
      generatedAt: now,
    };
    expect(adminStats.safeParse(stats).success).toBe(true);
    const { FAILED: _failed, ...partial } = counts.byStatus;
    expect(adminStats.safeParse({ ...stats, sessions: { total: 0, byStatus: partial } }).success).toBe(false);
  });
});

describe('sandbox', () => {
  it('validates phone bodies', () => {
    expect(createSandboxPhoneBody.safeParse({}).success).toBe(true);
    expect(createSandboxPhoneBody.safeParse({ phoneNumber: '12' }).success).toBe(false);
    expect(sandboxPairingCodeBody.safeParse({ code: 'ABCD-EFGH' }).success).toBe(true);
    expect(sandboxPairingCodeBody.safeParse({ code: 'ABC' }).success).toBe(false);
    expect(sandboxSendBody.safeParse({ to: '+6281234567890', text: 'hello' }).success).toBe(true);
    expect(sandboxSendBody.safeParse({ to: '+6281234567890', text: '' }).success).toBe(false);
    expect(sandboxUnlinkBody.safeParse({ sessionPhoneNumber: '+6281234567890', extra: 1 }).success).toBe(false);
  });
});
