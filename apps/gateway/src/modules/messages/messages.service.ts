import {
  AppError,
  ConflictError,
  NotFoundError,
  ValidationError,
  type ContactsCheckResponse,
  type List,
  type Message,
  type MessageListQuery,
  type MessageResponse,
  type SendMessageBody,
  type Session,
} from '@wagate/contracts';
import { createHash, randomBytes } from 'node:crypto';
import type { IdempotencyRepository } from './idempotency.repository.js';
import { CLAIM_RENEW_MS, DEFAULT_CLAIM_LEASE_MS, requestHash } from './idempotency.repository.js';
import type {
  ApiKeyCaller,
  MessageLimits,
  MessageRoute,
  MessagingWorker,
  RouteLookup,
  SessionReader,
  SessionRecord,
  SessionViewFn,
  UsageRecorder,
} from './messages.ports.js';

/** API.md: the same key within 24 h gives the original response. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** What a worker answers (404) for a session it does not host. */
const SESSION_NOT_HOSTED = new NotFoundError('Session').message;

export interface MessagesServiceOptions<Row extends SessionRecord> {
  sessions: SessionReader<Row>;
  sessionView: SessionViewFn<Row>;
  routing: RouteLookup;
  worker: MessagingWorker;
  limits: MessageLimits;
  usage: UsageRecorder;
  idempotency: IdempotencyRepository;
  /** How long a duplicate waits for the first request with its key before answering 409. */
  inProgressWaitMs?: number;
  /** Idempotency claims: lease and renewal period (tests shorten them). */
  claimLeaseMs?: number;
  claimRenewMs?: number;
  /**
   * The worker fetches `media.url` from inside the network: this returns why a URL is refused
   * (private, loopback, metadata host…) or null. Without it any URL is passed on.
   */
  checkMediaUrl?: (url: string) => Promise<string | null>;
}

export interface SendResult {
  status: 202;
  body: MessageResponse;
  /** True when this is a stored answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** A dashboard reader: the owner, or an ADMIN for any session. */
export interface UserCaller {
  userId: string;
  role: 'USER' | 'ADMIN';
}

export interface MessagesService {
  session(caller: ApiKeyCaller): Promise<Session>;
  send(caller: ApiKeyCaller, body: SendMessageBody, idempotencyKey?: string): Promise<SendResult>;
  get(caller: ApiKeyCaller, messageId: string): Promise<Message>;
  list(caller: ApiKeyCaller, query: MessageListQuery): Promise<List<Message>>;
  media(caller: ApiKeyCaller, messageId: string): Promise<{ contentType: string; body: Buffer }>;
  checkContacts(caller: ApiKeyCaller, phones: string[]): Promise<ContactsCheckResponse>;
  /** `GET /api/v1/sessions/:id/messages` for the dashboard. */
  listForUser(caller: UserCaller, sessionId: string, query: MessageListQuery): Promise<List<Message>>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function notConnected(sessionId: string): ConflictError {
  return new ConflictError(`Session ${sessionId} is not connected.`, 'SESSION_NOT_CONNECTED');
}

/** Ids the worker dedupes a send by. From a key, the same id on every retry, so a send whose answer got lost is not repeated. */
function sendRequestId(scope: string, key: string | undefined): string {
  if (key === undefined) return `req_${randomBytes(16).toString('base64url')}`;
  return `req_${createHash('sha256').update(`${scope}\n${key}`).digest('base64url').slice(0, 32)}`;
}

export function createMessagesService<Row extends SessionRecord>(options: MessagesServiceOptions<Row>): MessagesService {
  const { sessions, routing, worker, limits, usage, idempotency } = options;
  const inProgressWaitMs = options.inProgressWaitMs ?? 5_000;
  const claimLeaseMs = options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  const claimRenewMs = options.claimRenewMs ?? CLAIM_RENEW_MS;

  async function ownSession(caller: ApiKeyCaller): Promise<Row> {
    // The key is bound to its session and user; both must still match (a moved or deleted session is gone).
    const row = await sessions.findOwned(caller.sessionId, caller.userId);
    if (!row) throw new NotFoundError('Session');
    return row;
  }

  async function routeOf(sessionId: string): Promise<MessageRoute> {
    const route = await routing.current(sessionId);
    if (!route) throw notConnected(sessionId);
    return route;
  }

  /**
   * Runs a call on the session's worker. A worker that does not host the session (the routing
   * already names it but its restore has not arrived, or the session just left it) answers 404
   * Session: for the client the session exists and is reconnecting, so that is 409
   * SESSION_NOT_CONNECTED, which it retries, never a 404 that says the session is gone.
   */
  async function onWorker<T>(sessionId: string, call: (route: MessageRoute) => Promise<T>): Promise<T> {
    const route = await routeOf(sessionId);
    try {
      return await call(route);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND' && error.message === SESSION_NOT_HOSTED) throw notConnected(sessionId);
      throw error;
    }
  }

  /** A worker answers for the session it hosts; a message of another session is not there, but check anyway. */
  function ofSession(message: Message, sessionId: string): Message {
    if (message.sessionId !== sessionId) throw new NotFoundError('Message');
    return message;
  }

  async function sendNow(caller: ApiKeyCaller, body: SendMessageBody, requestId: string): Promise<Message> {
    const row = await ownSession(caller);
    if (row.status !== 'CONNECTED') throw notConnected(row.id);
    // Counted only once the send can happen: a 409 or a replay costs the tenant nothing.
    const message = await onWorker(row.id, async (route) => {
      await limits.consumeMessage(caller);
      return worker.send(route, body, requestId);
    });
    const base = { userId: caller.userId, sessionId: caller.sessionId, apiKeyId: caller.keyId };
    usage.record({ ...base, metric: 'messages.sent' });
    usage.record({ ...base, metric: `messages.sent.${body.type}` });
    return message;
  }

  return {
    async session(caller) {
      return options.sessionView(await ownSession(caller), { admin: false });
    },

    async send(caller, body, idempotencyKey) {
      // SSRF: refused before anything is claimed or counted, whatever the session's state.
      const mediaUrl = 'media' in body ? body.media?.url : undefined;
      if (mediaUrl !== undefined && options.checkMediaUrl) {
        const problem = await options.checkMediaUrl(mediaUrl);
        if (problem) throw new ValidationError([{ path: 'body.media.url', message: `The URL ${problem}.` }]);
      }
      const scope = `session:${caller.sessionId}:POST /api/v1/messages`;
      const requestId = sendRequestId(scope, idempotencyKey);
      if (idempotencyKey === undefined) {
        return { status: 202, body: { message: await sendNow(caller, body, requestId) }, replayed: false };
      }

      const hash = requestHash(body);
      const deadline = Date.now() + inProgressWaitMs;
      for (;;) {
        const claim = await idempotency.claim({ scope, key: idempotencyKey, requestHash: hash, ttlMs: IDEMPOTENCY_TTL_MS, claimLeaseMs });
        if (claim.kind === 'mismatch') {
          throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body.');
        }
        if (claim.kind === 'replay') return { status: 202, body: claim.body as MessageResponse, replayed: true };
        if (claim.kind === 'in-progress') {
          if (Date.now() >= deadline) throw new ConflictError('A request with this Idempotency-Key is still in progress; retry shortly.');
          await sleep(100);
          continue;
        }
        // Renewed while the send runs (it may take up to the worker timeout): if this gateway dies,
        // a retry takes the key over one lease later instead of answering 409 until the key expires.
        const renewal = setInterval(() => void idempotency.renew(claim.rowId).catch(() => undefined), claimRenewMs);
        renewal.unref();
        try {
          const response: MessageResponse = { message: await sendNow(caller, body, requestId) };
          await idempotency.complete(claim.rowId, 202, response);
          return { status: 202, body: response, replayed: false };
        } catch (error) {
          // Nothing is stored for a failure: the client retries with the same key, and the
          // deterministic request id keeps the worker from sending twice if it did send.
          await idempotency.release(claim.rowId);
          throw error;
        } finally {
          // A renewal racing with complete or release changes nothing: it only touches an unanswered row.
          clearInterval(renewal);
        }
      }
    },

    async get(caller, messageId) {
      const row = await ownSession(caller);
      return ofSession(await onWorker(row.id, (route) => worker.message(route, messageId)), row.id);
    },

    async list(caller, query) {
      const row = await ownSession(caller);
      return onWorker(row.id, (route) => worker.history(route, query));
    },

    async media(caller, messageId) {
      const row = await ownSession(caller);
      return onWorker(row.id, (route) => worker.media(route, messageId));
    },

    async checkContacts(caller, phones) {
      const row = await ownSession(caller);
      if (row.status !== 'CONNECTED') throw notConnected(row.id);
      return onWorker(row.id, (route) => worker.contactsCheck(route, phones));
    },

    async listForUser(caller, sessionId, query) {
      const row = caller.role === 'ADMIN' ? await sessions.findById(sessionId) : await sessions.findOwned(sessionId, caller.userId);
      if (!row) throw new NotFoundError('Session');
      return onWorker(row.id, (route) => worker.history(route, query));
    },
  };
}
