// Session lifecycle use cases: declare, connect (QR or pairing code), read the QR / pairing code,
// disconnect, logout, delete. The worker does the WhatsApp part; this keeps the card, the routing
// and the keys consistent with it.
import {
  AppError,
  ConflictError,
  NotFoundError,
  QuotaExceededError,
  type ApiKeyCreated,
  type ConnectSessionBody,
  type PairingCodeResponse,
  type QrResponse,
  type SessionStatus,
  type UserRole,
  type UserTier,
  type WorkerSessionView,
} from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';
import type { GatewayConfig } from '../../config.js';
import type { Database } from '../../db/index.js';
import type { SessionRoute, SessionRouting, WorkerClient } from '../workers/index.js';
import { gatewayStatusEvent, pairingCodeKey, publishLive, sessionDeletedEvent, type LiveSessionEvent } from './session-live.js';
import type { AuditLog, ModuleLogger, SessionApiKeys, SessionOperationLimits } from './sessions.ports.js';
import type { ListAllSessionsInput, SessionPage, SessionRow, SessionsRepository } from './sessions.repository.js';

/** Who acts: a dashboard user. ADMIN may act on any session; anyone else only on their own. */
export interface Actor {
  userId: string;
  role: UserRole;
  tier: UserTier;
}

export interface SessionsServiceDeps {
  db: Database;
  repository: SessionsRepository;
  config: Pick<GatewayConfig, 'SESSION_LIMIT_BASIC' | 'SESSION_LIMIT_PRO' | 'SESSION_LIMIT_MAX'>;
  coordinator: Coordinator;
  apiKeys: SessionApiKeys;
  limits: SessionOperationLimits;
  routing: SessionRouting;
  workerClient: WorkerClient;
  audit: AuditLog;
  logger: ModuleLogger;
}

/** What an SSE client is shown first: the card, and the live QR when one is up. */
export interface LiveSnapshot {
  row: SessionRow;
  qr: QrResponse | null;
  pairingCode: PairingCodeResponse | null;
}

export interface SessionsService {
  create(actor: Actor, input: { name: string }): Promise<{ row: SessionRow; apiKey: ApiKeyCreated }>;
  list(actor: Actor, input: { limit: number; cursor?: string | undefined }): Promise<SessionPage>;
  listAll(input: ListAllSessionsInput): Promise<SessionPage>;
  get(actor: Actor, id: string): Promise<SessionRow>;
  connect(actor: Actor, id: string, body: ConnectSessionBody): Promise<SessionRow>;
  qr(actor: Actor, id: string): Promise<QrResponse>;
  pairingCode(actor: Actor, id: string): Promise<PairingCodeResponse>;
  disconnect(actor: Actor, id: string): Promise<SessionRow>;
  logout(actor: Actor, id: string): Promise<SessionRow>;
  remove(actor: Actor, id: string): Promise<void>;
  liveSnapshot(actor: Actor, id: string): Promise<LiveSnapshot>;
}

/** Statuses in which the session runs (or is starting) on a worker. */
const RUNNING: readonly SessionStatus[] = ['CONNECTING', 'QR_READY', 'CONNECTED'];
/** The worker keeps no expiry with the pairing code; its own TTL (session-types.ts) is the fallback. */
const PAIRING_CODE_FALLBACK_TTL_MS = 180_000;
const FIRST_KEY_NAME = 'default';

/** Worker answers meaning "I do not hold this session (any more)": nothing left to stop there. */
function isGoneOnWorker(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'NOT_FOUND' || error.code === 'STALE_EPOCH' || error.code === 'GONE');
}

export function createSessionsService(deps: SessionsServiceDeps): SessionsService {
  const { db, repository: repo, routing, workerClient, limits, coordinator, logger } = deps;

  function capFor(tier: UserTier): number {
    const caps: Record<UserTier, number> = {
      BASIC: deps.config.SESSION_LIMIT_BASIC,
      PRO: deps.config.SESSION_LIMIT_PRO,
      MAX: deps.config.SESSION_LIMIT_MAX,
    };
    return caps[tier];
  }

  async function load(actor: Actor, id: string): Promise<SessionRow> {
    const row = actor.role === 'ADMIN' ? await repo.findById(id) : await repo.findOwned(id, actor.userId);
    if (!row) throw new NotFoundError('Session');
    return row;
  }

  /** A row that vanished between two steps (deleted concurrently) reads as 404 too. */
  function present(row: SessionRow | null): SessionRow {
    if (!row) throw new NotFoundError('Session');
    return row;
  }

  async function audit(actor: Actor, row: SessionRow, message: string, metadata: Record<string, unknown> = {}): Promise<void> {
    try {
      await deps.audit.append({ level: 'info', category: 'session', message, userId: actor.userId, sessionId: row.id, workerId: row.workerId, metadata: { ownerId: row.userId, ...metadata } });
    } catch (error) {
      logger.error({ err: error, sessionId: row.id }, 'Writing the session audit line failed');
    }
  }

  const publish = (event: LiveSessionEvent) =>
    publishLive(coordinator, event, (error) => logger.warn({ err: error, sessionId: event.sessionId }, 'Publishing a live session change failed'));

  async function publishStatus(before: SessionRow, after: SessionRow | null): Promise<void> {
    if (!after || after.status === before.status) return;
    await publish(gatewayStatusEvent(after.id, after.status, { previousStatus: before.status, phoneNumber: after.phoneNumber }));
  }

  /** The worker's view of a placed session, or null when it is not placed or the worker lost it. */
  async function workerView(id: string): Promise<{ route: SessionRoute; view: WorkerSessionView } | null> {
    const route = await routing.current(id);
    if (!route) return null;
    try {
      return { route, view: await workerClient.session(route) };
    } catch (error) {
      if (isGoneOnWorker(error)) return null;
      throw error;
    }
  }

  async function pairingFromView(id: string, code: string): Promise<PairingCodeResponse> {
    const remembered = await coordinator.get(pairingCodeKey(id)).catch(() => null);
    if (remembered) {
      try {
        const parsed = JSON.parse(remembered) as { code?: unknown; expiresAt?: unknown };
        if (parsed.code === code && typeof parsed.expiresAt === 'string') return { code, expiresAt: parsed.expiresAt };
      } catch {
        // A malformed cache entry only costs the exact expiry.
      }
    }
    return { code, expiresAt: new Date(Date.now() + PAIRING_CODE_FALLBACK_TTL_MS).toISOString() };
  }

  return {
    async create(actor, input) {
      await limits.consumeSessionOperation(actor.userId);
      const created = await db.transaction(async (tx) => {
        // The tier is read under the lock: a downgrade a second ago counts, and two parallel creates cannot both pass.
        const tier = (await repo.lockOwner(tx, actor.userId)) ?? actor.tier;
        const cap = capFor(tier);
        if ((await repo.countOwned(actor.userId, tx)) >= cap) {
          throw new QuotaExceededError(`The ${tier} tier allows ${cap} session${cap === 1 ? '' : 's'}; delete one or upgrade.`);
        }
        const row = await repo.insert(tx, { userId: actor.userId, name: input.name });
        const apiKey = await deps.apiKeys.createForSession({ userId: actor.userId, sessionId: row.id, name: FIRST_KEY_NAME }, tx);
        return { row, apiKey };
      });
      await audit(actor, created.row, 'Session created', { name: created.row.name, apiKeyId: created.apiKey.id });
      return created;
    },

    list(actor, input) {
      return repo.listOwned(actor.userId, input);
    },

    listAll(input) {
      return repo.listAll(input);
    },

    get: load,

    async connect(actor, id, body) {
      await limits.consumeSessionOperation(actor.userId);
      const row = await load(actor, id);
      // Connecting a running session again is a no-op: a new placement would bump the epoch and restart it.
      if (RUNNING.includes(row.status) && (await routing.current(id))) return row;
      const route = await routing.place(id);
      const connecting = present(await repo.setStatus(id, { status: 'CONNECTING' }));
      await publishStatus(row, connecting);
      const options = { ...(body.method === undefined ? {} : { method: body.method }), ...(body.phoneNumber === undefined ? {} : { phoneNumber: body.phoneNumber }) };
      try {
        const answer = await workerClient.start(route, options);
        // Worker events may have moved the status on already; the answer only replaces CONNECTING.
        if (answer.status !== 'CONNECTING') {
          const moved = await repo.setStatus(id, { status: answer.status, ...(answer.phoneNumber ? { phoneNumber: answer.phoneNumber } : {}), onlyFrom: ['CONNECTING'] });
          await publishStatus(connecting, moved);
        }
      } catch (error) {
        const failed = await repo.setStatus(id, { status: 'FAILED', onlyFrom: ['CONNECTING'] }).catch(() => null);
        await publishStatus(connecting, failed);
        await audit(actor, { ...connecting, workerId: route.workerId }, 'Session connect failed', { code: error instanceof AppError ? error.code : 'INTERNAL' });
        throw error;
      }
      const result = present(await repo.findById(id));
      await audit(actor, result, 'Session connect requested', { method: body.method ?? 'qr', epoch: route.epoch });
      return result;
    },

    async qr(actor, id) {
      await load(actor, id);
      const live = await workerView(id);
      const qr = live?.view.qr;
      if (!qr) throw new ConflictError('The session is not waiting for a QR scan.', 'SESSION_NOT_AWAITING_QR');
      return { qr: qr.qr, image: qr.dataUrl, expiresAt: qr.expiresAt };
    },

    async pairingCode(actor, id) {
      await load(actor, id);
      const live = await workerView(id);
      const code = live?.view.pairingCode;
      if (!code) throw new ConflictError('The session is not waiting for a pairing code; connect with method "pairing_code" first.');
      return pairingFromView(id, code);
    },

    async disconnect(actor, id) {
      await limits.consumeSessionOperation(actor.userId);
      const row = await load(actor, id);
      const route = await routing.current(id);
      if (route) {
        try {
          await workerClient.stop(route);
        } catch (error) {
          if (!isGoneOnWorker(error)) throw error;
        }
      }
      // Logged out or never connected stays as it is: there is no socket and no credentials to keep.
      const after = await repo.setStatus(id, { status: 'DISCONNECTED', onlyFrom: [...RUNNING, 'FAILED'] });
      await publishStatus(row, after);
      await audit(actor, row, 'Session disconnected');
      return after ?? present(await repo.findById(id));
    },

    async logout(actor, id) {
      await limits.consumeSessionOperation(actor.userId);
      const row = await load(actor, id);
      const route = await routing.current(id);
      if (route) {
        try {
          await workerClient.logout(route);
        } catch (error) {
          if (!isGoneOnWorker(error)) throw error;
        }
      }
      await routing.release(id);
      const after = present(await repo.setStatus(id, { status: 'LOGGED_OUT', phoneNumber: null }));
      await publishStatus(row, after);
      await audit(actor, row, 'Session logged out', { placed: route !== null });
      return after;
    },

    async remove(actor, id) {
      await limits.consumeSessionOperation(actor.userId);
      const row = await load(actor, id);
      let route = await routing.current(id);
      if (!route && row.epoch > 0) {
        // Placed once, but its worker is gone or it was released: credentials, history and media are
        // still in the store. Any worker can delete them once it holds a newer epoch than the last holder.
        route = await routing.place(id).catch((error: unknown) => {
          logger.warn({ err: error, sessionId: id }, 'No worker to delete the stored session data; the card is deleted anyway');
          return null;
        });
      }
      if (route) {
        try {
          await workerClient.delete(route);
        } catch (error) {
          if (!isGoneOnWorker(error)) throw error;
        }
      }
      await routing.release(id);
      await db.transaction(async (tx) => {
        await deps.apiKeys.revokeAllForSession(id, tx);
        await repo.delete(id, tx);
      });
      await publish(sessionDeletedEvent(id));
      await audit(actor, row, 'Session deleted', { name: row.name, placed: route !== null });
    },

    async liveSnapshot(actor, id) {
      const row = await load(actor, id);
      if (row.status !== 'QR_READY' && row.status !== 'CONNECTING') return { row, qr: null, pairingCode: null };
      // The first frame should show what to scan; a worker hiccup only delays it to the next rotation.
      const live = await workerView(id).catch((error: unknown) => {
        logger.warn({ err: error, sessionId: id }, 'Reading the live QR for a new subscriber failed');
        return null;
      });
      const qr = live?.view.qr ? { qr: live.view.qr.qr, image: live.view.qr.dataUrl, expiresAt: live.view.qr.expiresAt } : null;
      const pairingCode = live?.view.pairingCode ? await pairingFromView(id, live.view.pairingCode) : null;
      return { row, qr, pairingCode };
    },
  };
}
