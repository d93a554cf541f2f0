// WorkerClient over HTTP with undici: one keep-alive Pool per worker endpoint, bounded connect,
// header and body timeouts, and worker problem+json turned back into AppErrors without the
// worker's internals (its addresses, request ids, 5xx details never reach an API client).
import {
  AppError,
  contactsCheckResponse,
  fromProblem,
  problemSchema,
  ServiceUnavailableError,
  sessionCommandResponse,
  workerHealthResponse,
  workerHistoryResponse,
  workerMessageResponse,
  workerSessionView,
  WORKER_API,
  type WorkerHealthResponse,
} from '@wagate/contracts';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { currentRequestId } from '../../http/request-context.js';
import type { SessionRoute, WorkerClient } from './session-routing.js';

export interface WorkerClientOptions {
  /** The token workers accept from the gateway (WORKER_TOKEN); unset → calls go without one and fail 401. */
  token: string | undefined;
  connectTimeoutMs?: number;
  /** Time to the response headers for ordinary commands. */
  headersTimeoutMs?: number;
  /** Sends wait for the worker's outbound pacer, so they get longer. */
  sendTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Idle keep-alive sockets per endpoint are closed after this long. */
  keepAliveTimeoutMs?: number;
  connectionsPerWorker?: number;
  /** Largest media body read from a worker (WORKER_MEDIA_CAP_BYTES); default 64 MiB. */
  mediaCapBytes?: number;
}

/** The client the gateway uses: the WorkerClient port plus fleet operations for the workers module. */
export interface HttpWorkerClient extends WorkerClient {
  /** GET /health of any endpoint (admin add, liveness of hand-registered workers). */
  health(endpoint: string, timeoutMs?: number): Promise<WorkerHealthResponse>;
  /** Tells the worker to stop taking and hosting sessions. */
  drain(endpoint: string): Promise<void>;
  /** Closes the pool of one endpoint (worker removed) or of all. */
  close(endpoint?: string): Promise<void>;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headersTimeoutMs?: number;
}

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

function isConnectionFailure(error: unknown): boolean {
  if (error instanceof undiciErrors.ConnectTimeoutError || error instanceof undiciErrors.SocketError || error instanceof undiciErrors.ClientDestroyedError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && CONNECTION_FAILURES.has(code);
}

/** Maps a non-2xx worker answer to what the gateway's caller may see. */
export function workerFailure(status: number, body: string, headers: Record<string, string | string[] | undefined>): AppError {
  let parsed: z.infer<typeof problemSchema> | undefined;
  try {
    const result = problemSchema.safeParse(JSON.parse(body));
    if (result.success) parsed = result.data;
  } catch {
    parsed = undefined;
  }
  // 401/403 mean the gateway and worker disagree on the token: an operator problem, never the client's.
  if (status >= 500 || status === 401 || status === 403 || parsed === undefined) {
    if (status === 503 && parsed?.code === 'SERVICE_UNAVAILABLE') return new ServiceUnavailableError('The worker hosting this session is busy; try again shortly.');
    return new AppError('BAD_GATEWAY', 'The worker hosting this session could not complete the request.');
  }
  const error = fromProblem(parsed);
  if (error.code === 'INTERNAL') return new AppError('BAD_GATEWAY', 'The worker hosting this session could not complete the request.');
  const retryAfter = headers['retry-after'];
  if (typeof retryAfter === 'string') return new AppError(error.code, error.message, { headers: { 'retry-after': retryAfter }, ...(error.errors === undefined ? {} : { errors: error.errors }) });
  return error;
}

/** Largest JSON answer read from a worker: a history page is far smaller; more is a broken worker. */
export const WORKER_RESPONSE_CAP_BYTES = 8 * 1024 * 1024;

/** Default cap on a media body read from a worker; media is buffered whole before the client's answer starts. */
export const WORKER_MEDIA_CAP_BYTES = 64 * 1024 * 1024;

const oversized = () => new AppError('BAD_GATEWAY', 'The worker answered with an oversized body.');

/** Reads a worker's answer up to the cap; beyond it the socket is dropped and the call is a 502. */
async function readCappedBytes(body: Dispatcher.ResponseData['body'], cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    received += buf.length;
    if (received > cap) {
      body.destroy();
      throw oversized();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, received);
}

async function readCapped(body: Dispatcher.ResponseData['body'], cap = WORKER_RESPONSE_CAP_BYTES): Promise<string> {
  return (await readCappedBytes(body, cap)).toString('utf8');
}

/** A Content-Length past the cap is refused before a byte is read (the worker call is aborted). */
function refuseDeclaredOversize(response: Dispatcher.ResponseData, cap: number): void {
  const declared = response.headers['content-length'];
  if (typeof declared === 'string' && /^\d+$/.test(declared) && Number(declared) > cap) {
    response.body.destroy();
    throw oversized();
  }
}

export function createHttpWorkerClient(options: WorkerClientOptions): HttpWorkerClient {
  const connectTimeout = options.connectTimeoutMs ?? 3000;
  const headersTimeout = options.headersTimeoutMs ?? 15_000;
  const sendTimeout = options.sendTimeoutMs ?? 60_000;
  const bodyTimeout = options.bodyTimeoutMs ?? 30_000;
  const mediaCap = options.mediaCapBytes ?? WORKER_MEDIA_CAP_BYTES;
  const pools = new Map<string, Pool>();

  function poolFor(endpoint: string): Pool {
    const origin = new URL(endpoint).origin;
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: options.connectionsPerWorker ?? 16,
        connect: { timeout: connectTimeout },
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
        headersTimeout,
        bodyTimeout,
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  async function call(endpoint: string, c: Call): Promise<Dispatcher.ResponseData> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(c.query ?? {})) if (value !== undefined) params.set(key, String(value));
    const query = params.size === 0 ? '' : `?${params.toString()}`;
    const base = new URL(endpoint);
    const prefix = base.pathname.replace(/\/+$/, '');
    const requestId = currentRequestId();
    try {
      return await poolFor(endpoint).request({
        method: c.method,
        path: `${prefix}${c.path}${query}`,
        headers: {
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
          accept: 'application/json',
          // The API request this call serves: the worker logs it, so one id follows a send end to end.
          ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
        },
        ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
        headersTimeout: c.headersTimeoutMs ?? headersTimeout,
      });
    } catch (error) {
      if (isConnectionFailure(error)) throw new ServiceUnavailableError('The worker hosting this session cannot be reached.', 'WORKER_UNREACHABLE');
      if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
        throw new AppError('GATEWAY_TIMEOUT', 'The worker hosting this session did not answer in time.');
      }
      throw error;
    }
  }

  /** The whole body up to `cap`; a worker that stalls or drops mid-body is a timeout, not our 500. */
  async function readBody(response: Dispatcher.ResponseData, cap: number): Promise<Buffer> {
    try {
      refuseDeclaredOversize(response, cap);
      return await readCappedBytes(response.body, cap);
    } catch (error) {
      if (error instanceof undiciErrors.BodyTimeoutError || isConnectionFailure(error)) {
        throw new AppError('GATEWAY_TIMEOUT', 'The worker hosting this session did not answer in time.');
      }
      throw error;
    }
  }

  async function json<S extends z.ZodType>(endpoint: string, c: Call, schema: S): Promise<z.infer<S>> {
    const response = await call(endpoint, c);
    const text = (await readBody(response, WORKER_RESPONSE_CAP_BYTES)).toString('utf8');
    if (response.statusCode < 200 || response.statusCode >= 300) throw workerFailure(response.statusCode, text, response.headers);
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      // A worker that answers non-JSON is broken (or not a worker): a 502, not our 500.
      throw new AppError('BAD_GATEWAY', 'The worker answered with an unexpected shape.');
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AppError('BAD_GATEWAY', 'The worker answered with an unexpected shape.', { cause: parsed.error });
    return parsed.data;
  }

  const assignment = (route: SessionRoute) => ({ sessionId: route.sessionId, epoch: route.epoch });
  const fill = (path: string, params: Record<string, string>) => path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));

  return {
    start: (route, opts = {}) => json(route.endpoint, { method: 'POST', path: WORKER_API.start, body: { ...assignment(route), ...opts } }, sessionCommandResponse),
    restore: (route) => json(route.endpoint, { method: 'POST', path: WORKER_API.restore, body: assignment(route) }, sessionCommandResponse),
    stop: (route) => json(route.endpoint, { method: 'POST', path: WORKER_API.stop, body: assignment(route) }, sessionCommandResponse),
    logout: (route) => json(route.endpoint, { method: 'POST', path: WORKER_API.logout, body: assignment(route) }, sessionCommandResponse),
    async delete(route) {
      const response = await call(route.endpoint, { method: 'POST', path: WORKER_API.delete, body: assignment(route) });
      const text = await readCapped(response.body);
      // A worker that never hosted the session has nothing to delete: the goal is already met.
      if (response.statusCode === 404) return;
      if (response.statusCode < 200 || response.statusCode >= 300) throw workerFailure(response.statusCode, text, response.headers);
    },
    session: (route) =>
      json(route.endpoint, { method: 'GET', path: fill(WORKER_API.session, { sessionId: route.sessionId }), query: { epoch: route.epoch } }, workerSessionView),
    async send(route, message, messageId) {
      const body = { ...assignment(route), message, ...(messageId === undefined ? {} : { messageId }) };
      return (await json(route.endpoint, { method: 'POST', path: WORKER_API.send, body, headersTimeoutMs: sendTimeout }, workerMessageResponse)).message;
    },
    async message(route, messageId) {
      const path = fill(WORKER_API.message, { messageId });
      return (await json(route.endpoint, { method: 'GET', path, query: { sessionId: route.sessionId, epoch: route.epoch } }, workerMessageResponse)).message;
    },
    history: (route, query) =>
      json(route.endpoint, { method: 'GET', path: WORKER_API.messages, query: { ...query, sessionId: route.sessionId, epoch: route.epoch } }, workerHistoryResponse),
    async media(route, messageId) {
      const response = await call(route.endpoint, { method: 'GET', path: fill(WORKER_API.media, { messageId }), query: { sessionId: route.sessionId, epoch: route.epoch } });
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      // An error answer is a small problem+json; only the media itself gets the larger cap.
      const bytes = await readBody(response, ok ? mediaCap : WORKER_RESPONSE_CAP_BYTES);
      if (!ok) throw workerFailure(response.statusCode, bytes.toString('utf8'), response.headers);
      const type = response.headers['content-type'];
      return { contentType: typeof type === 'string' ? type : 'application/octet-stream', body: bytes };
    },
    contactsCheck: (route, phones) => json(route.endpoint, { method: 'POST', path: WORKER_API.contactsCheck, body: { ...assignment(route), phones } }, contactsCheckResponse),

    async health(endpoint, timeoutMs = 5000) {
      return json(endpoint, { method: 'GET', path: WORKER_API.health, headersTimeoutMs: timeoutMs }, workerHealthResponse);
    },
    async drain(endpoint) {
      const response = await call(endpoint, { method: 'POST', path: WORKER_API.drain, body: {} });
      const text = await readCapped(response.body);
      if (response.statusCode < 200 || response.statusCode >= 300) throw workerFailure(response.statusCode, text, response.headers);
    },
    async close(endpoint) {
      const targets = endpoint === undefined ? [...pools.keys()] : [new URL(endpoint).origin];
      for (const origin of targets) {
        const pool = pools.get(origin);
        pools.delete(origin);
        await pool?.close().catch(() => undefined);
      }
    },
  };
}
