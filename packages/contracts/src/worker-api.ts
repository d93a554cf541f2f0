import { z } from 'zod';
import { maxSessions, usagePercent } from './api/admin.js';
import {
  connectMethod,
  epoch,
  groupJid,
  httpUrl,
  id,
  isoDateTime,
  LIMITS,
  listOf,
  phoneNumber,
  recipient,
  sessionStatus,
} from './api/common.js';
import { contactsCheckBody, contactsCheckResponse } from './api/contacts.js';
import { message, messageListQuery, sendMessageBody } from './api/messages.js';

/**
 * Gateway ↔ worker API (internal, worker token). Every command that changes a session carries
 * the session's `epoch`: a worker refuses a command older than what it holds (409 STALE_EPOCH)
 * and the gateway refuses events and heartbeats from a superseded assignment.
 *
 * Objects strip unknown keys rather than rejecting them, so the gateway and workers can be
 * upgraded one at a time; both sides still run the same validation otherwise.
 */

/** A session as one side of the fence sees it. */
export const sessionAssignment = z.object({ sessionId: id, epoch });
export type SessionAssignment = z.infer<typeof sessionAssignment>;

/** Paths of the worker's internal API (gateway → worker, worker token). */
export const WORKER_API = {
  health: '/health',
  start: '/api/v1/internal/sessions/start',
  restore: '/api/v1/internal/sessions/restore',
  stop: '/api/v1/internal/sessions/stop',
  logout: '/api/v1/internal/sessions/logout',
  session: '/api/v1/internal/sessions/:sessionId',
  send: '/api/v1/internal/messages/send',
  messages: '/api/v1/internal/messages',
  message: '/api/v1/internal/messages/:messageId',
  media: '/api/v1/internal/messages/:messageId/media',
  contactsCheck: '/api/v1/internal/contacts/check',
  groups: '/api/v1/internal/groups',
  group: '/api/v1/internal/groups/:groupId',
  groupParticipants: '/api/v1/internal/groups/participants',
  groupInvite: '/api/v1/internal/groups/invite-code',
  groupLeave: '/api/v1/internal/groups/leave',
  /** Stop the session and remove everything it stored (auth state, history, media). */
  delete: '/api/v1/internal/sessions/delete',
  drain: '/api/v1/internal/drain',
} as const;

// Worker → gateway: registration and heartbeat ------------------------------------------------------

/** `POST /api/v1/internal/workers/register` with the bootstrap `WORKER_TOKEN`. */
export const workerRegisterBody = z.object({
  /** Kept across restarts (e.g. a StatefulSet pod name) so the gateway reuses the row. */
  workerId: id.optional(),
  /** Where the gateway reaches this worker. */
  endpoint: httpUrl,
  maxSessions,
  version: z.string().min(1).max(64),
});
export type WorkerRegisterBody = z.infer<typeof workerRegisterBody>;

export const workerRegisterResponse = z.object({
  workerId: id,
  /** Per-worker token for later calls in both directions; replaces the bootstrap token. */
  token: z.string().min(1),
  heartbeatIntervalMs: z.int().min(100),
  /** A worker that has not renewed its lease within this time stops its sessions. */
  leaseTtlMs: z.int().min(100),
});
export type WorkerRegisterResponse = z.infer<typeof workerRegisterResponse>;

/** `POST /api/v1/internal/workers/:id/heartbeat`. */
export const workerHeartbeatBody = z.object({
  sessionCount: z.int().min(0),
  maxSessions,
  cpuUsage: usagePercent,
  memoryUsage: usagePercent,
  sessions: z.array(sessionAssignment.extend({ status: sessionStatus })).max(LIMITS.workerMaxSessions),
});
export type WorkerHeartbeatBody = z.infer<typeof workerHeartbeatBody>;

/** Renews the lease. Sessions in `dropSessions` now belong elsewhere: stop them without logging out. */
export const workerHeartbeatResponse = z.object({
  ok: z.boolean(),
  dropSessions: z.array(sessionAssignment).optional(),
  leaseTtlMs: z.int().min(100),
});
export type WorkerHeartbeatResponse = z.infer<typeof workerHeartbeatResponse>;

export const workerIdParams = z.object({ id });
export type WorkerIdParams = z.infer<typeof workerIdParams>;

// Gateway → worker: health ----------------------------------------------------------------------------

/** The worker's `GET /health`, polled by the gateway's health monitor and before an admin add. */
export const workerHealthResponse = z.object({
  status: z.enum(['ok', 'draining', 'degraded']),
  workerId: z.string().optional(),
  version: z.string().optional(),
  sessionCount: z.int().min(0),
  maxSessions: z.int().min(1),
  cpuUsage: usagePercent,
  memoryUsage: usagePercent,
  uptimeSeconds: z.number().min(0),
});
export type WorkerHealthResponse = z.infer<typeof workerHealthResponse>;

// Gateway → worker: session commands ------------------------------------------------------------------

/**
 * Start a session (new: QR or pairing code) or restore it after a move (stored credentials,
 * no new scan). The worker persists `epoch` and fences every later write with it.
 */
export const startSessionCommand = sessionAssignment
  .extend({ method: connectMethod.optional(), phoneNumber: phoneNumber.optional() })
  .refine((body) => body.method !== 'pairing_code' || body.phoneNumber !== undefined, {
    path: ['phoneNumber'],
    message: 'phoneNumber is required when method is pairing_code',
  });
export type StartSessionCommand = z.infer<typeof startSessionCommand>;
export const restoreSessionCommand = startSessionCommand;
export type RestoreSessionCommand = StartSessionCommand;

/** Stop keeps credentials; logout unlinks the device and deletes them; delete also removes history and media. */
export const stopSessionCommand = sessionAssignment;
export type StopSessionCommand = SessionAssignment;
export const logoutSessionCommand = sessionAssignment;
export type LogoutSessionCommand = SessionAssignment;
export const deleteSessionCommand = sessionAssignment;
export type DeleteSessionCommand = SessionAssignment;

/** The worker's view of a session after a command. */
export const sessionCommandResponse = z.object({
  sessionId: id,
  epoch,
  status: sessionStatus,
  phoneNumber: z.string().nullable().optional(),
});
export type SessionCommandResponse = z.infer<typeof sessionCommandResponse>;

/** `GET /api/v1/internal/sessions/:sessionId?epoch=`: the command view plus the live QR or pairing code. */
export const workerSessionView = sessionCommandResponse.extend({
  reason: z.string().nullable(),
  qr: z.object({ qr: z.string(), dataUrl: z.string().startsWith('data:image/png;base64,'), expiresAt: isoDateTime }).nullable(),
  pairingCode: z.string().nullable(),
  attempts: z.int().min(0),
});
export type WorkerSessionView = z.infer<typeof workerSessionView>;

// Gateway → worker: messages --------------------------------------------------------------------------

/** `messageId` is the gateway's id for the send, so a retried command is not sent twice. */
export const workerSendCommand = sessionAssignment.extend({ message: sendMessageBody, messageId: id.optional() });
export type WorkerSendCommand = z.infer<typeof workerSendCommand>;
export const workerMessageResponse = z.object({ message });
export type WorkerMessageResponse = z.infer<typeof workerMessageResponse>;

/** Reads carry the epoch too: a worker that lost the session answers 409 instead of stale data. */
export const workerMessageQuery = sessionAssignment.extend({ epoch: z.coerce.number().int().min(0), messageId: id });
export type WorkerMessageQuery = z.infer<typeof workerMessageQuery>;

export const workerHistoryQuery = messageListQuery.extend({
  sessionId: id,
  epoch: z.coerce.number().int().min(0),
});
export type WorkerHistoryQuery = z.infer<typeof workerHistoryQuery>;
export const workerHistoryResponse = listOf(message);
export type WorkerHistoryResponse = z.infer<typeof workerHistoryResponse>;

/** Media bytes come back raw with their `Content-Type`; this is only the query. */
export const workerMediaQuery = workerMessageQuery;
export type WorkerMediaQuery = WorkerMessageQuery;

export const workerContactsCheckCommand = sessionAssignment.extend({ phones: contactsCheckBody.shape.phones });
export type WorkerContactsCheckCommand = z.infer<typeof workerContactsCheckCommand>;
export const workerContactsCheckResponse = contactsCheckResponse;

// Gateway → worker: groups ----------------------------------------------------------------------------

const participants = z.array(recipient).min(1).max(LIMITS.groupParticipantsMax);

export const groupParticipant = z.object({ id: z.string(), admin: z.enum(['admin', 'superadmin']).nullable() });
export const groupMetadata = z.object({
  id: z.string(),
  subject: z.string(),
  description: z.string().nullable(),
  owner: z.string().nullable(),
  createdAt: isoDateTime.nullable(),
  participants: z.array(groupParticipant),
});
export type GroupMetadata = z.infer<typeof groupMetadata>;
export const groupResponse = z.object({ group: groupMetadata });
export type GroupResponse = z.infer<typeof groupResponse>;

export const createGroupCommand = sessionAssignment.extend({
  subject: z.string().trim().min(1).max(100),
  participants,
});
export type CreateGroupCommand = z.infer<typeof createGroupCommand>;

export const GROUP_PARTICIPANT_ACTIONS = ['add', 'remove', 'promote', 'demote'] as const;
export const groupParticipantsCommand = sessionAssignment.extend({
  groupId: groupJid,
  action: z.enum(GROUP_PARTICIPANT_ACTIONS),
  participants,
});
export type GroupParticipantsCommand = z.infer<typeof groupParticipantsCommand>;

/** WhatsApp answers per participant (e.g. 403 when privacy settings forbid adding them). */
export const groupParticipantsResponse = z.object({
  results: z.array(z.object({ participant: z.string(), ok: z.boolean(), code: z.int().optional() })),
});
export type GroupParticipantsResponse = z.infer<typeof groupParticipantsResponse>;

export const groupCommand = sessionAssignment.extend({ groupId: groupJid });
export type GroupCommand = z.infer<typeof groupCommand>;
/** Invite code, and `revoke: true` to rotate it. */
export const groupInviteCodeCommand = groupCommand.extend({ revoke: z.boolean().default(false) });
export type GroupInviteCodeCommand = z.infer<typeof groupInviteCodeCommand>;
export const groupInviteCodeResponse = z.object({ code: z.string(), url: z.string() });
export type GroupInviteCodeResponse = z.infer<typeof groupInviteCodeResponse>;
/** Metadata is a read; the epoch may come as a query string. */
export const groupMetadataQuery = z.object({ sessionId: id, epoch: z.coerce.number().int().min(0), groupId: groupJid });
export type GroupMetadataQuery = z.infer<typeof groupMetadataQuery>;
