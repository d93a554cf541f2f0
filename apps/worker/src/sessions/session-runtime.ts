import { EventEmitter } from 'node:events';
import QRCode from 'qrcode';
import { ConflictError, NotFoundError } from '@wagate/contracts';
import { LruMap } from '../cache/index.js';
import { StaleEpochError } from '../auth-state/index.js';
import { workerEvent } from '../gateway-link/index.js';
import type { NewWorkerEvent } from '../gateway-link/index.js';
import type { Logger } from '../logger.js';
import { OutboundPacer, bareJid, messageEventId, stanzaIdFor, toContractStatus, toMessageView } from '../messages/index.js';
import type { CloseInfo, MessageStatusUpdate, OutgoingMessage, SelfIdentity, SentMessage, WhatsAppClient, WhatsAppMessage } from '../whatsapp/index.js';
import { DEFAULT_RECONNECT_POLICY, decideReconnect } from './reconnect-policy.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { assertTransition } from './session-status.js';
import type { SessionStatus } from './session-status.js';
import { MEDIA_FOLDER, PAIRING_CODE_TTL_MS } from './session-types.js';
import type { MediaContent, QrState, SessionRuntimeOptions, SessionSnapshot } from './session-types.js';

export { DEFAULT_RECONNECT_POLICY, DISCONNECT, QR_ATTEMPTS_ENDED, decideReconnect } from './reconnect-policy.js';
export type { ReconnectDecision, ReconnectPolicy } from './reconnect-policy.js';
export { IllegalTransitionError, SESSION_STATUSES, SESSION_TRANSITIONS, assertTransition, canTransition } from './session-status.js';
export type { SessionStatus } from './session-status.js';
export type { EventPublisher, MediaContent, QrState, SessionRuntimeOptions, SessionSnapshot } from './session-types.js';

/**
 * One session: its status machine, its current socket and the reconnect loop (a new socket per
 * attempt). Everything the socket reports goes to history and to the gateway outbox.
 */
export class SessionRuntime {
  readonly sessionId: string;
  readonly epoch: number;
  readonly #o: SessionRuntimeOptions;
  readonly #log: Logger;
  readonly #policy: ReconnectPolicy;
  readonly #pacer: OutboundPacer;
  readonly #events = new EventEmitter<{ status: [SessionSnapshot] }>();
  #status: SessionStatus = 'DISCONNECTED';
  #reason: string | undefined;
  #qr: QrState | undefined;
  #pairingCode: string | undefined;
  #pairingPhone: string | undefined;
  #me: SelfIdentity | undefined;
  #attempts = 0;
  /** QRs emitted by the current socket; the first one lives longer. */
  #qrCount = 0;
  #client: WhatsAppClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Bumped on every start/stop so a late close of an old socket cannot drive the new one. */
  #generation = 0;
  #stopped = true;
  /** Sends by the gateway's request id, so a retried command returns the first result. */
  readonly #sends = new LruMap<string, Promise<SentMessage>>(1000);

  constructor(options: SessionRuntimeOptions) {
    this.sessionId = options.sessionId;
    this.epoch = options.epoch;
    this.#o = options;
    this.#log = options.logger;
    this.#policy = options.policy ?? DEFAULT_RECONNECT_POLICY;
    this.#pacer = new OutboundPacer(options.pacer);
  }

  get status(): SessionStatus {
    return this.#status;
  }

  /** Sends waiting in this number's pacer. */
  get queuedSends(): number {
    return this.#pacer.queued;
  }

  snapshot(): SessionSnapshot {
    return {
      sessionId: this.sessionId,
      epoch: this.epoch,
      status: this.#status,
      reason: this.#reason,
      qr: this.#qr,
      pairingCode: this.#pairingCode,
      me: this.#me,
      attempts: this.#attempts,
    };
  }

  /** Calls `listener` after every status change. */
  onStatus(listener: (snapshot: SessionSnapshot) => void): void {
    this.#events.on('status', listener);
  }

  /** Connects: to CONNECTED with stored creds, else to QR_READY (or a pairing code when `pairWithPhone`). */
  async start(options: { pairWithPhone?: string } = {}): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#generation++;
    this.#attempts = 0;
    this.#pairingPhone = options.pairWithPhone;
    this.#pairingCode = undefined;
    await this.#setStatus('CONNECTING', undefined);
    await this.#connect(this.#generation);
  }

  /** Closes the socket, keeps the credentials: the session can be restored here or elsewhere. */
  async stop(reason = 'stopped'): Promise<void> {
    this.#generation++;
    this.#stopped = true;
    this.#clearTimer();
    const client = this.#client;
    this.#client = null;
    await client?.end().catch((error: unknown) => this.#log.warn({ err: error }, 'Ending the socket failed'));
    if (this.#status !== 'DISCONNECTED' && this.#status !== 'LOGGED_OUT') await this.#setStatus('DISCONNECTED', reason);
  }

  /** Unlinks the device (when connected) and deletes the credentials. */
  async logout(): Promise<void> {
    this.#generation++;
    this.#stopped = true;
    this.#clearTimer();
    const client = this.#client;
    this.#client = null;
    if (client !== null && this.#status === 'CONNECTED') {
      await client.logout().catch((error: unknown) => this.#log.warn({ err: error }, 'Logout request failed; deleting credentials anyway'));
    } else {
      await client?.end().catch(() => undefined);
    }
    await this.#o.auth.deleteAll();
    if (this.#status !== 'LOGGED_OUT') await this.#setStatus('LOGGED_OUT', 'logged out');
  }

  /** Asks for a pairing code now (the socket must be up and unpaired). */
  async requestPairingCode(phoneNumber: string): Promise<string> {
    const client = this.#client;
    if (client === null || (this.#status !== 'QR_READY' && this.#status !== 'CONNECTING')) {
      throw new ConflictError(`Session ${this.sessionId} is not waiting to pair.`, 'SESSION_NOT_AWAITING_QR');
    }
    this.#pairingPhone = phoneNumber;
    const code = await client.requestPairingCode(phoneNumber);
    this.#pairingCode = code;
    await this.#publish([this.#event('session.pairing_code', { code, expiresAt: new Date(Date.now() + PAIRING_CODE_TTL_MS).toISOString() })]);
    return code;
  }

  /**
   * Sends through the number's pacer; the message is in history and reported as `message.sent`.
   * `requestId` (the gateway's id for the send) names the `message.failed` event if it fails.
   */
  async send(message: OutgoingMessage, requestId?: string): Promise<SentMessage> {
    if (requestId !== undefined) {
      const earlier = this.#sends.get(requestId);
      if (earlier !== undefined) return earlier;
    }
    this.#assertConnected();
    const sending = this.#pacer.run(async () => {
      const client = this.#assertConnected();
      try {
        // A retried request (same id) goes out under the same stanza id, on this worker or another.
        const sent = await client.send(message, requestId === undefined ? {} : { messageId: stanzaIdFor(this.sessionId, requestId) });
        this.#o.history.appendMessages(this.sessionId, [sent.message]);
        await this.#publish([
          this.#event('message.sent', { message: toMessageView(this.sessionId, sent.message, this.#me?.id) }, messageEventId('message.sent', this.sessionId, sent.id)),
        ]);
        return sent;
      } catch (error) {
        await this.#publish([
          this.#event('message.failed', {
            messageId: requestId ?? `send_${Date.now().toString(36)}`,
            error: { code: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) },
          }),
        ]);
        throw error;
      }
    });
    if (requestId !== undefined) {
      this.#sends.set(requestId, sending);
      // A failed send may be retried with the same id.
      sending.catch(() => this.#sends.delete(requestId));
    }
    return sending;
  }

  /**
   * A message's media bytes: from the BlobStore when stored, else downloaded through the live
   * socket and stored (WhatsApp's CDN links expire, our copy does not).
   */
  async media(messageId: string): Promise<MediaContent> {
    const message = await this.#o.history.getMessage(this.sessionId, messageId);
    const folder = message === undefined ? undefined : MEDIA_FOLDER[message.type];
    if (message?.media === undefined || folder === undefined) throw new NotFoundError('Media');
    const mimetype = message.media.mimetype ?? 'application/octet-stream';
    if (message.media.blobKey !== undefined && this.#o.blobs !== undefined && this.#o.keyring !== undefined) {
      const stored = await this.#o.blobs.get(message.media.blobKey);
      if (stored !== null) return { data: this.#o.keyring.open(stored, message.media.blobKey), mimetype, fileName: message.media.fileName };
    }
    const data = await this.#assertConnected().downloadMedia(message);
    await this.#storeMedia(message, folder, data);
    return { data, mimetype, fileName: message.media.fileName };
  }

  async #storeMedia(message: WhatsAppMessage, folder: string, data: Buffer): Promise<void> {
    if (this.#o.blobs === undefined || this.#o.keyring === undefined || message.media === undefined) return;
    const blobKey = `media/${this.sessionId}/${folder}/${encodeURIComponent(message.id).replace(/%/g, '_')}`;
    // Encrypted at rest like auth state and history (DESIGN.md §9); the type lives in history.
    await this.#o.blobs.put(blobKey, this.#o.keyring.seal(data, blobKey), { contentType: 'application/json' });
    this.#o.history.appendMessages(this.sessionId, [{ ...message, media: { ...message.media, blobKey } }]);
  }

  /** The live client for reads (groups, contacts); throws unless CONNECTED. */
  client(): WhatsAppClient {
    return this.#assertConnected();
  }

  #assertConnected(): WhatsAppClient {
    if (this.#status !== 'CONNECTED' || this.#client === null) {
      throw new ConflictError(`Session ${this.sessionId} is not connected (status ${this.#status}).`, 'SESSION_NOT_CONNECTED');
    }
    return this.#client;
  }

  async #connect(generation: number): Promise<void> {
    let client: WhatsAppClient;
    try {
      ({ client } = await this.#o.connector.connect({
        sessionId: this.sessionId,
        auth: this.#o.auth,
        logger: this.#log,
        getMessageRaw: async (_chatId, id) => (await this.#o.history.getMessage(this.sessionId, id))?.raw,
      }));
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#log.warn({ err: error }, 'Opening a WhatsApp socket failed');
      if (error instanceof StaleEpochError) {
        await this.#halt('FAILED', 'stale epoch: the session belongs to a newer owner');
        return;
      }
      await this.#onClose(generation, { statusCode: undefined, message: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (generation !== this.#generation) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#qrCount = 0;
    this.#pairingCode = undefined;
    // A handler that throws must not become an unhandled rejection that takes the process down.
    const guard = (what: string, work: Promise<void>): void => {
      work.catch((error: unknown) => this.#log.error({ err: error }, `Handling the socket's ${what} event failed`));
    };
    client.on('qr', (raw) => guard('qr', this.#onQr(generation, client, raw)));
    client.on('open', (me) => guard('open', this.#onOpen(generation, me)));
    client.on('close', (info) => guard('close', this.#onClose(generation, info)));
    // The client waits for this promise before letting the messages' receipts reach WhatsApp.
    client.on('messages', (messages, kind) =>
      this.#onMessages(generation, messages, kind).catch((error: unknown) => this.#log.error({ err: error }, "Handling the socket's messages event failed")),
    );
    client.on('status', (updates) => guard('status', this.#onStatuses(generation, updates)));
  }

  async #onQr(generation: number, client: WhatsAppClient, raw: string): Promise<void> {
    if (generation !== this.#generation) return;
    const dataUrl = await QRCode.toDataURL(raw, { errorCorrectionLevel: 'M', margin: 2, width: 264 });
    if (generation !== this.#generation) return;
    const at = Date.now();
    this.#qrCount++;
    // Kept local: the socket may open (clearing #qr) while the status write below is awaited.
    const qr = { raw, dataUrl, at, expiresAt: at + (this.#qrCount === 1 ? 60_000 : 20_000) };
    this.#qr = qr;
    if (this.#status === 'CONNECTING') await this.#setStatus('QR_READY', undefined);
    if (this.#pairingPhone !== undefined) {
      // Pairing by code: the QR is not shown; one code per socket, asked once the socket is up.
      if (this.#pairingCode === undefined) {
        try {
          const code = await client.requestPairingCode(this.#pairingPhone);
          this.#pairingCode = code;
          await this.#publish([this.#event('session.pairing_code', { code, expiresAt: new Date(Date.now() + PAIRING_CODE_TTL_MS).toISOString() })]);
        } catch (error) {
          this.#log.warn({ err: error }, 'Requesting a pairing code failed');
        }
      }
    } else {
      await this.#publish([this.#event('session.qr', { qr: raw, expiresAt: new Date(qr.expiresAt).toISOString() })]);
    }
    await this.#o.saveQrImage?.(this.sessionId, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64')).catch(() => undefined);
  }

  async #onOpen(generation: number, me: SelfIdentity): Promise<void> {
    if (generation !== this.#generation) return;
    this.#attempts = 0;
    this.#me = me;
    this.#qr = undefined;
    this.#pairingCode = undefined;
    this.#pairingPhone = undefined;
    if (this.#status !== 'CONNECTED') await this.#setStatus('CONNECTED', undefined);
    await this.#o.saveQrImage?.(this.sessionId, null).catch(() => undefined);
  }

  async #onClose(generation: number, info: CloseInfo): Promise<void> {
    if (generation !== this.#generation || this.#stopped) return;
    this.#client = null;
    const decision = decideReconnect(info.statusCode, info.message, this.#attempts + 1, this.#policy);
    this.#o.onSocketClosed?.(decision, info.statusCode);
    this.#log.info({ statusCode: info.statusCode, message: info.message, decision }, 'WhatsApp socket closed');
    if (decision.action === 'reconnect') {
      if (decision.countsAsFailure) this.#attempts++;
      if (this.#status !== 'CONNECTING') await this.#setStatus('CONNECTING', decision.reason, info.statusCode);
      this.#clearTimer();
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (generation === this.#generation && !this.#stopped) void this.#connect(generation);
      }, decision.delayMs);
      return;
    }
    if (decision.deleteCreds) {
      await this.#o.auth.deleteAll().catch((error: unknown) => this.#log.error({ err: error }, 'Deleting credentials after logout failed'));
    }
    await this.#halt(decision.status, decision.leaseConflict ? `${decision.reason} (lease conflict)` : decision.reason, info.statusCode);
  }

  async #halt(status: 'DISCONNECTED' | 'LOGGED_OUT' | 'FAILED', reason: string, statusCode?: number): Promise<void> {
    this.#stopped = true;
    this.#generation++;
    this.#clearTimer();
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
    this.#qr = undefined;
    if (this.#status !== status) await this.#setStatus(status, reason, statusCode);
  }

  async #onMessages(generation: number, messages: WhatsAppMessage[], _kind: 'live' | 'history'): Promise<void> {
    if (generation !== this.#generation) return;
    this.#o.history.appendMessages(this.sessionId, messages);
    // Offline catch-up ('history') is what WhatsApp queued while this session had no socket: after
    // a failover, a restart or a reconnect, those are messages nobody was told about yet. Dropping
    // them lost every message received during the outage (chaos test, issue 11).
    const incoming = messages.filter((m) => !m.fromMe);
    for (const m of incoming) void this.#fetchEagerly(generation, m);
    await this.#publish(
      incoming.map((m) => this.#event('message.received', { message: toMessageView(this.sessionId, m, this.#me?.id) }, messageEventId('message.received', this.sessionId, m.id))),
    );
  }

  /** Stores incoming media at once: the CDN link WhatsApp sends expires after some days. */
  async #fetchEagerly(generation: number, message: WhatsAppMessage): Promise<void> {
    const folder = MEDIA_FOLDER[message.type];
    const limit = this.#o.eagerMediaMaxBytes ?? 16 * 1024 * 1024;
    if (folder === undefined || message.media === undefined || this.#o.blobs === undefined || this.#o.keyring === undefined || (message.media.size ?? 0) > limit) return;
    const client = this.#client;
    if (client === null || generation !== this.#generation) return;
    try {
      const data = await client.downloadMedia(message);
      // Logged out (or deleted) during the download: a write now would outlive the session's data.
      if (this.#status === 'LOGGED_OUT') return;
      await this.#storeMedia(message, folder, data);
    } catch (error) {
      this.#log.warn({ err: error, messageId: message.id }, 'Fetching incoming media failed; it will be fetched on request');
    }
  }

  async #onStatuses(generation: number, updates: MessageStatusUpdate[]): Promise<void> {
    if (generation !== this.#generation) return;
    this.#o.history.appendStatuses(this.sessionId, updates);
    await this.#publish(
      updates.map((u) =>
        u.status === 'failed'
          ? this.#event('message.failed', { messageId: u.id, chatId: u.chatId, error: { code: 'DELIVERY_FAILED', message: 'WhatsApp reported the message as failed.' } })
          : this.#event('message.status', {
              messageId: u.id,
              chatId: u.chatId,
              status: toContractStatus(u.status),
              timestamp: new Date(u.timestamp).toISOString(),
              ...(u.participant === undefined ? {} : { participant: u.participant }),
            }),
      ),
    );
  }

  async #setStatus(to: SessionStatus, reason: string | undefined, statusCode?: number): Promise<void> {
    const from = this.#status;
    this.#status = assertTransition(from, to);
    this.#reason = reason;
    if (to !== 'QR_READY') this.#qr = to === 'CONNECTING' ? this.#qr : undefined;
    this.#log.info({ from, to, reason }, 'Session status changed');
    const phone = bareJid(this.#me?.id)?.split('@')[0];
    await this.#publish([
      this.#event('session.status', {
        status: to,
        previousStatus: from,
        ...(reason === undefined ? {} : { reason: reason.slice(0, 500) }),
        ...(statusCode === undefined ? {} : { statusCode }),
        phoneNumber: phone === undefined || phone === '' ? null : `+${phone}`,
      }),
    ]);
    this.#events.emit('status', this.snapshot());
  }

  #event<T extends Parameters<typeof workerEvent>[0]>(type: T, data: Parameters<typeof workerEvent<T>>[3], id?: string): NewWorkerEvent {
    return workerEvent(type, this.sessionId, this.epoch, data, id);
  }

  async #publish(events: NewWorkerEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.#o.events.publish(events);
    } catch (error) {
      // The journal is local disk; failing here means the disk is gone. Keep the session running.
      this.#log.error({ err: error, events: events.length }, 'Journaling events failed');
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
