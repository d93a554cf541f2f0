import {
  contactsCheckResponse,
  createGroupCommand,
  deleteSessionCommand,
  groupCommand,
  groupInviteCodeCommand,
  groupMetadataQuery,
  groupParticipantsCommand,
  NotFoundError,
  restoreSessionCommand,
  sessionAssignment,
  startSessionCommand,
  workerContactsCheckCommand,
  workerHistoryQuery,
  workerMediaQuery,
  workerMessageQuery,
  workerSendCommand,
  workerSessionView,
  WORKER_API,
} from '@wagate/contracts';
import type { GroupMetadata, SessionCommandResponse, StartSessionCommand } from '@wagate/contracts';
import type { FastifyInstance } from 'fastify';
import type { HistoryStore } from '../history/index.js';
import { toMessageView, toOutgoing } from '../messages/index.js';
import type { SessionManager, SessionSnapshot } from '../sessions/index.js';
import type { GroupInfo } from '../whatsapp/index.js';
import { toJid } from '../whatsapp/index.js';


export interface WorkerApiDeps {
  manager: SessionManager;
  history: HistoryStore;
}

function commandResponse(s: Pick<SessionSnapshot, 'sessionId' | 'epoch' | 'status' | 'me'>): SessionCommandResponse {
  const phone = s.me?.id.split('@')[0]?.split(':')[0];
  return { sessionId: s.sessionId, epoch: s.epoch, status: s.status, phoneNumber: phone === undefined || phone === '' ? null : `+${phone}` };
}

function groupView(g: GroupInfo): GroupMetadata {
  return {
    id: g.id,
    subject: g.subject,
    description: g.description ?? null,
    owner: g.owner ?? null,
    createdAt: g.createdAt === undefined ? null : new Date(g.createdAt).toISOString(),
    participants: g.participants.map((p) => ({ id: p.id, admin: p.admin })),
  };
}

/** Session, message, contact and group commands; every one is fenced by the session's epoch. */
export async function workerApiRoutes(app: FastifyInstance, deps: WorkerApiDeps): Promise<void> {
  const { manager, history } = deps;

  const start = async (command: StartSessionCommand) => {
    const snapshot = await manager.start(command.sessionId, {
      epoch: command.epoch,
      ...(command.method === 'pairing_code' && command.phoneNumber !== undefined ? { pairWithPhone: command.phoneNumber } : {}),
    });
    return commandResponse(snapshot);
  };
  app.post(WORKER_API.start, async (request, reply) => reply.status(202).send(await start(startSessionCommand.parse(request.body))));
  app.post(WORKER_API.restore, async (request, reply) => reply.status(202).send(await start(restoreSessionCommand.parse(request.body))));

  app.post(WORKER_API.stop, async (request) => {
    const { sessionId, epoch } = sessionAssignment.parse(request.body);
    const before = manager.assertAssigned(sessionId, epoch);
    await manager.stop(sessionId);
    return commandResponse({ ...before, status: 'DISCONNECTED' });
  });

  app.post(WORKER_API.logout, async (request) => {
    const { sessionId, epoch } = sessionAssignment.parse(request.body);
    const before = manager.assertAssigned(sessionId, epoch);
    await manager.logout(sessionId);
    return commandResponse({ ...before, status: 'LOGGED_OUT' });
  });

  /**
   * Unlinks the device when it is connected, then removes everything stored for the session:
   * creds and keys, history, media, QR. A session not hosted here is fenced with the command's
   * epoch first, so a worker still holding an older assignment cannot write it back.
   */
  app.post(WORKER_API.delete, async (request) => {
    const { sessionId, epoch } = deleteSessionCommand.parse(request.body);
    const before = manager.get(sessionId) === undefined ? undefined : manager.assertAssigned(sessionId, epoch);
    await manager.delete(sessionId, epoch);
    return commandResponse({ ...(before ?? { sessionId, epoch, me: undefined }), status: 'LOGGED_OUT' });
  });

  /** The session as this worker sees it, with the current QR (string and PNG) or pairing code. */
  app.get(WORKER_API.session, async (request) => {
    const { sessionId, epoch } = workerMessageQuery.pick({ sessionId: true, epoch: true }).parse({ ...(request.params as object), ...(request.query as object) });
    const s = manager.assertAssigned(sessionId, epoch);
    // Parsed on the way out too: the gateway reads this with the same schema, so a drift shows here first.
    return workerSessionView.parse({
      ...commandResponse(s),
      reason: s.reason ?? null,
      qr: s.qr === undefined ? null : { qr: s.qr.raw, dataUrl: s.qr.dataUrl, expiresAt: new Date(s.qr.expiresAt).toISOString() },
      pairingCode: s.pairingCode ?? null,
      attempts: s.attempts,
    });
  });

  app.post(WORKER_API.send, async (request) => {
    const command = workerSendCommand.parse(request.body);
    const s = manager.assertAssigned(command.sessionId, command.epoch);
    const sent = await manager.send(command.sessionId, toOutgoing(command.message), command.messageId);
    return { message: toMessageView(command.sessionId, sent.message, s.me?.id) };
  });

  app.get(WORKER_API.messages, async (request) => {
    const q = workerHistoryQuery.parse(request.query);
    const s = manager.assertAssigned(q.sessionId, q.epoch);
    const page = await history.query(q.sessionId, {
      limit: q.limit,
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      ...(q.chatId === undefined ? {} : { chatId: toJid(q.chatId) }),
      // `before` is exclusive; history bounds are inclusive milliseconds.
      ...(q.before === undefined ? {} : { to: Date.parse(q.before) - 1 }),
    });
    return { data: page.messages.map((m) => toMessageView(q.sessionId, m, s.me?.id)), nextCursor: page.nextCursor };
  });

  app.get(WORKER_API.message, async (request) => {
    const q = workerMessageQuery.parse({ ...(request.params as object), ...(request.query as object) });
    const s = manager.assertAssigned(q.sessionId, q.epoch);
    const found = await history.getMessage(q.sessionId, q.messageId);
    if (found === undefined) throw new NotFoundError('Message');
    return { message: toMessageView(q.sessionId, found, s.me?.id) };
  });

  /** Raw bytes with their Content-Type (contracts `workerMediaQuery`). */
  app.get(WORKER_API.media, async (request, reply) => {
    const q = workerMediaQuery.parse({ ...(request.params as object), ...(request.query as object) });
    manager.assertAssigned(q.sessionId, q.epoch);
    const media = await manager.media(q.sessionId, q.messageId);
    void reply.header('content-type', media.mimetype).header('content-length', String(media.data.length));
    if (media.fileName !== undefined) void reply.header('content-disposition', `attachment; filename="${media.fileName.replace(/["\\\r\n]/g, '_')}"`);
    return reply.send(media.data);
  });

  app.post(WORKER_API.contactsCheck, async (request) => {
    const command = workerContactsCheckCommand.parse(request.body);
    manager.assertAssigned(command.sessionId, command.epoch);
    const results = await manager.client(command.sessionId).onWhatsApp(command.phones);
    return contactsCheckResponse.parse({
      results: results.map((r) => ({ phone: r.phoneNumber, exists: r.exists, ...(r.jid === undefined ? {} : { jid: r.jid }) })),
    });
  });

  app.post(WORKER_API.groups, async (request, reply) => {
    const command = createGroupCommand.parse(request.body);
    manager.assertAssigned(command.sessionId, command.epoch);
    const group = await manager.client(command.sessionId).groupCreate(command.subject, command.participants);
    return reply.status(201).send({ group: groupView(group) });
  });

  app.post(WORKER_API.groupParticipants, async (request) => {
    const command = groupParticipantsCommand.parse(request.body);
    manager.assertAssigned(command.sessionId, command.epoch);
    const results = await manager.client(command.sessionId).groupParticipants(command.groupId, command.participants, command.action);
    return { results: results.map((r) => ({ participant: r.participant, ok: r.ok, ...(r.code === undefined ? {} : { code: r.code }) })) };
  });

  app.post(WORKER_API.groupInvite, async (request) => {
    const command = groupInviteCodeCommand.parse(request.body);
    manager.assertAssigned(command.sessionId, command.epoch);
    const code = await manager.client(command.sessionId).groupInviteCode(command.groupId, command.revoke);
    return { code, url: `https://chat.whatsapp.com/${code}` };
  });

  app.post(WORKER_API.groupLeave, async (request) => {
    const command = groupCommand.parse(request.body);
    manager.assertAssigned(command.sessionId, command.epoch);
    await manager.client(command.sessionId).groupLeave(command.groupId);
    return { ok: true as const };
  });

  app.get(WORKER_API.group, async (request) => {
    const q = groupMetadataQuery.parse({ ...(request.params as object), ...(request.query as object) });
    manager.assertAssigned(q.sessionId, q.epoch);
    return { group: groupView(await manager.client(q.sessionId).groupMetadata(q.groupId)) };
  });

  app.post(WORKER_API.drain, async (_request, reply) => {
    await manager.drain();
    return reply.status(202).send({ ok: true as const });
  });
}
