import { AppError, ConflictError, NotFoundError } from '@wagate/contracts';
import type { BlobStore } from '@wagate/storage';
import { AuthStateStore, StaleEpochError } from '../auth-state/index.js';
import type { Keyring } from '../crypto/index.js';
import type { HistoryStore } from '../history/index.js';
import type { Logger } from '../logger.js';
import type { PacerSettings } from '../messages/index.js';
import type { OutgoingMessage, SentMessage, WhatsAppClient, WhatsAppConnector } from '../whatsapp/index.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { SessionRuntime } from './session-runtime.js';
import type { EventPublisher, MediaContent, SessionSnapshot } from './session-runtime.js';
import type { SessionRuntimeOptions } from './session-types.js';

/** This worker already hosts `maxSessions`; the gateway should place the session elsewhere. */
export class CapacityError extends AppError {
  constructor(maxSessions: number) {
    super('SERVICE_UNAVAILABLE', `This worker is at capacity (${maxSessions} sessions).`);
  }
}

export interface SessionManagerOptions {
  workerId: string;
  maxSessions: number;
  blobs: BlobStore;
  keyring: Keyring;
  connector: WhatsAppConnector;
  history: HistoryStore;
  events: EventPublisher;
  logger: Logger;
  pacer: PacerSettings;
  authKeyFlushMs?: number;
  policy?: ReconnectPolicy;
  /** Told how every socket close of every session was judged (reconnect metrics). */
  onSocketClosed?: SessionRuntimeOptions['onSocketClosed'];
}

export interface StartSessionOptions {
  /** The placement epoch from the gateway; must not be lower than the one stored. */
  epoch: number;
  /** Pair with a code typed on this phone instead of scanning a QR. */
  pairWithPhone?: string;
}

interface Hosted {
  runtime: SessionRuntime;
  auth: AuthStateStore;
}

/**
 * The sessions this worker hosts: start (or restore: same thing, stored creds make it connect
 * without QR), stop, logout, capacity and drain. The epoch marker in the BlobStore fences a
 * session taken over by another worker: writes from here are refused and the session is dropped.
 */
export class SessionManager {
  readonly #o: SessionManagerOptions;
  readonly #sessions = new Map<string, Hosted>();
  /** Starts in progress, so two concurrent starts of one session share the work. */
  readonly #starting = new Map<string, Promise<SessionSnapshot>>();
  #draining = false;
  /** The drain in progress: `resume` waits for it, so a resumed worker never has a drop still running. */
  #drainRun: Promise<void> | null = null;

  constructor(options: SessionManagerOptions) {
    this.#o = options;
  }

  /** Hosted sessions, counting a start in flight once (it enters `#sessions` before it finishes). */
  get count(): number {
    let starting = 0;
    for (const id of this.#starting.keys()) if (!this.#sessions.has(id)) starting++;
    return this.#sessions.size + starting;
  }

  get capacity(): number {
    return this.#o.maxSessions;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Sends queued in the pacers of every hosted session. */
  get queuedSends(): number {
    let queued = 0;
    for (const { runtime } of this.#sessions.values()) queued += runtime.queuedSends;
    return queued;
  }

  list(): SessionSnapshot[] {
    return [...this.#sessions.values()].map((h) => h.runtime.snapshot());
  }

  get(sessionId: string): SessionSnapshot | undefined {
    return this.#sessions.get(sessionId)?.runtime.snapshot();
  }

  /**
   * Starts hosting a session (idempotent for the same epoch). With stored creds it reconnects
   * with no QR (restore); without, it waits for a QR scan or a pairing code.
   */
  async start(sessionId: string, options: StartSessionOptions): Promise<SessionSnapshot> {
    const inFlight = this.#starting.get(sessionId);
    if (inFlight !== undefined) return inFlight;
    const hosted = this.#sessions.get(sessionId);
    if (hosted !== undefined) {
      if (options.epoch < hosted.runtime.epoch) throw new StaleEpochError(sessionId, options.epoch, hosted.runtime.epoch);
      const status = hosted.runtime.status;
      const idle = status === 'DISCONNECTED' || status === 'FAILED' || status === 'LOGGED_OUT';
      // Same epoch and running: nothing to do (a retried command).
      if (options.epoch === hosted.runtime.epoch && !idle) return hosted.runtime.snapshot();
      // Idle, or re-placed here with a newer epoch: start afresh with a new store and socket.
      await this.#drop(sessionId, options.epoch === hosted.runtime.epoch ? 'restarting' : 'replaced by a newer epoch');
    }
    if (this.#draining) throw new ConflictError('This worker is draining and takes no new sessions.');
    if (this.count >= this.#o.maxSessions) throw new CapacityError(this.#o.maxSessions);
    const starting = this.#startNew(sessionId, options).finally(() => this.#starting.delete(sessionId));
    this.#starting.set(sessionId, starting);
    return starting;
  }

  async #startNew(sessionId: string, options: StartSessionOptions): Promise<SessionSnapshot> {
    const logger = this.#o.logger.child({ sessionId, epoch: options.epoch });
    const auth = new AuthStateStore({
      blobs: this.#o.blobs,
      keyring: this.#o.keyring,
      sessionId,
      epoch: options.epoch,
      workerId: this.#o.workerId,
      logger,
      ...(this.#o.authKeyFlushMs === undefined ? {} : { flushDelayMs: this.#o.authKeyFlushMs }),
      onFenced: () => {
        // Another worker owns the session now: never keep a second live socket.
        void this.#drop(sessionId, 'fenced by a newer epoch').catch((error: unknown) => logger.error({ err: error }, 'Dropping a fenced session failed'));
      },
    });
    await auth.claim();
    const runtime = new SessionRuntime({
      sessionId,
      epoch: options.epoch,
      connector: this.#o.connector,
      auth,
      history: this.#o.history,
      events: this.#o.events,
      logger,
      pacer: this.#o.pacer,
      ...(this.#o.policy === undefined ? {} : { policy: this.#o.policy }),
      ...(this.#o.onSocketClosed === undefined ? {} : { onSocketClosed: this.#o.onSocketClosed }),
      blobs: this.#o.blobs,
      keyring: this.#o.keyring,
      saveQrImage: async (id, png) => {
        const key = `temp/qr/${id}.png`;
        if (png === null) await this.#o.blobs.delete(key);
        else await this.#o.blobs.put(key, png, { contentType: 'image/png' });
      },
    });
    this.#sessions.set(sessionId, { runtime, auth });
    await runtime.start(options.pairWithPhone === undefined ? {} : { pairWithPhone: options.pairWithPhone });
    return runtime.snapshot();
  }

  /** Disconnects and stops hosting, keeping creds (another worker can restore it). */
  async stop(sessionId: string): Promise<void> {
    await this.#starting.get(sessionId)?.catch(() => undefined);
    if (!this.#sessions.has(sessionId)) throw new NotFoundError('Session');
    await this.#drop(sessionId, 'stopped');
  }

  /** Unlinks the device, deletes its creds and stops hosting. */
  async logout(sessionId: string): Promise<void> {
    await this.#starting.get(sessionId)?.catch(() => undefined);
    const hosted = this.#require(sessionId);
    try {
      await hosted.runtime.logout();
    } finally {
      this.#sessions.delete(sessionId);
      await hosted.auth.close().catch(() => undefined);
      await this.#o.history.release(sessionId).catch(() => undefined);
    }
  }

  /**
   * Deletes the session: unlinks the device from WhatsApp when it is connected here (a linked
   * session that is not connected cannot be unlinked; its creds are deleted anyway), then removes
   * everything stored for it: creds and keys, the epoch marker, history, media and the QR image.
   * A session not hosted here is claimed with `epoch` first, so an older holder's writes are
   * refused from then on.
   */
  async delete(sessionId: string, epoch: number): Promise<void> {
    await this.#starting.get(sessionId)?.catch(() => undefined);
    if (this.#sessions.has(sessionId)) {
      this.assertAssigned(sessionId, epoch);
      await this.logout(sessionId);
    } else {
      const auth = new AuthStateStore({ blobs: this.#o.blobs, keyring: this.#o.keyring, sessionId, epoch, workerId: this.#o.workerId });
      await auth.claim();
      await auth.deleteAll();
    }
    await this.#o.history.deleteSession(sessionId);
    await this.#o.blobs.deletePrefix(`media/${sessionId}/`);
    await this.#o.blobs.delete(`temp/qr/${sessionId}.png`);
    // Last: the epoch marker goes with the rest, and a flush that finds no marker is refused.
    await this.#o.blobs.deletePrefix(`auth/${sessionId}/`);
  }

  /** Sends; `requestId` makes a retried command return the first result instead of sending twice. */
  async send(sessionId: string, message: OutgoingMessage, requestId?: string): Promise<SentMessage> {
    return this.#require(sessionId).runtime.send(message, requestId);
  }

  /**
   * The hosted session for a command carrying `epoch`: 409 STALE_EPOCH when the caller's epoch is
   * older than ours, 409 CONFLICT when it is newer (not assigned here yet), 404 when not hosted.
   */
  assertAssigned(sessionId: string, epoch: number): SessionSnapshot {
    const hosted = this.#require(sessionId);
    if (epoch < hosted.runtime.epoch) throw new StaleEpochError(sessionId, epoch, hosted.runtime.epoch);
    if (epoch > hosted.runtime.epoch) throw new ConflictError(`Session ${sessionId} is held here at epoch ${hosted.runtime.epoch}, not ${epoch}.`);
    return hosted.runtime.snapshot();
  }

  /** A message's media bytes (stored copy, or fetched through the socket and stored). */
  async media(sessionId: string, messageId: string): Promise<MediaContent> {
    return this.#require(sessionId).runtime.media(messageId);
  }

  async requestPairingCode(sessionId: string, phoneNumber: string): Promise<string> {
    return this.#require(sessionId).runtime.requestPairingCode(phoneNumber);
  }

  /** The connected client for reads and group operations. */
  client(sessionId: string): WhatsAppClient {
    return this.#require(sessionId).runtime.client();
  }

  /** Calls `listener` on every status change of every hosted session. */
  onStatus(sessionId: string, listener: (snapshot: SessionSnapshot) => void): void {
    this.#require(sessionId).runtime.onStatus(listener);
  }

  /** Refuses new sessions and stops every hosted one, keeping creds, so the gateway can move them. */
  async drain(): Promise<void> {
    this.#draining = true;
    const run = (async () => {
      await Promise.allSettled([...this.#starting.values()]);
      await Promise.all([...this.#sessions.keys()].map((id) => this.#drop(id, 'worker draining')));
    })();
    this.#drainRun = run;
    try {
      await run;
    } finally {
      if (this.#drainRun === run) this.#drainRun = null;
    }
  }

  /** Accepts sessions again once the drain in progress (if any) has stopped every session. */
  async resume(): Promise<void> {
    await this.#drainRun?.catch(() => undefined);
    this.#draining = false;
  }

  async close(): Promise<void> {
    await this.drain();
  }

  #require(sessionId: string): Hosted {
    const hosted = this.#sessions.get(sessionId);
    if (hosted === undefined) throw new NotFoundError('Session');
    return hosted;
  }

  async #drop(sessionId: string, reason: string): Promise<void> {
    const hosted = this.#sessions.get(sessionId);
    if (hosted === undefined) return;
    this.#sessions.delete(sessionId);
    await hosted.runtime.stop(reason);
    await hosted.auth.close().catch(() => undefined);
    await this.#o.history.release(sessionId).catch(() => undefined);
  }
}
