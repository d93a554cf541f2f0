// Live session changes travel through the Coordinator's pub/sub, so an SSE client on any gateway
// replica hears what the events ingest on another replica applied.
import { newEventId, type SessionStatus, type WebhookPayload } from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';

/** The pub/sub channel of one session's live changes (a fixed name across modules). */
export function sessionEventsChannel(sessionId: string): string {
  return `session-events:${sessionId}`;
}

export type LiveSessionPayload = Extract<WebhookPayload, { type: 'session.status' | 'session.qr' | 'session.pairing_code' }>;

/** What travels on the channel: a session.* payload, or the news that the session is gone. */
export type LiveSessionEvent =
  | LiveSessionPayload
  | { id: string; type: 'session.deleted'; createdAt: string; sessionId: string; data: Record<string, never> }
  | { id: string; type: 'webhook.disabled'; createdAt: string; sessionId: string; data: { webhookId: string; reason: string } };

export const LIVE_EVENT_TYPES: ReadonlySet<string> = new Set(['session.status', 'session.qr', 'session.pairing_code', 'session.deleted', 'webhook.disabled']);

export function isLiveSessionPayload(payload: WebhookPayload): payload is LiveSessionPayload {
  return payload.type === 'session.status' || payload.type === 'session.qr' || payload.type === 'session.pairing_code';
}

/** A status change the gateway itself made (connect, disconnect, logout), in the worker events' shape. */
export function gatewayStatusEvent(
  sessionId: string,
  status: SessionStatus,
  extra: { previousStatus?: SessionStatus; phoneNumber?: string | null; reason?: string } = {},
): LiveSessionEvent {
  return { id: newEventId(), type: 'session.status', createdAt: new Date().toISOString(), sessionId, data: { status, ...extra } };
}

/** The dashboard's notice that an endpoint of this session was switched off after sustained failure (no email). */
export function webhookDisabledEvent(sessionId: string, webhookId: string, reason: string): LiveSessionEvent {
  return { id: newEventId(), type: 'webhook.disabled', createdAt: new Date().toISOString(), sessionId, data: { webhookId, reason } };
}

export function sessionDeletedEvent(sessionId: string): LiveSessionEvent {
  return { id: newEventId(), type: 'session.deleted', createdAt: new Date().toISOString(), sessionId, data: {} };
}

/** Publishes one change; live status is best effort, so a pub/sub failure is reported, not thrown. */
export async function publishLive(coordinator: Coordinator, event: LiveSessionEvent, onError: (error: unknown) => void): Promise<void> {
  try {
    await coordinator.publish(sessionEventsChannel(event.sessionId), JSON.stringify(event));
  } catch (error) {
    onError(error);
  }
}

/** The latest pairing code's expiry, remembered by the ingest: the worker's session view has the code only. */
export function pairingCodeKey(sessionId: string): string {
  return `session-pairing-code:${sessionId}`;
}
