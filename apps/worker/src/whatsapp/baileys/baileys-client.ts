import { EventEmitter } from 'node:events';
import { Browsers, DEFAULT_CONNECTION_CONFIG, downloadMediaMessage, makeWASocket } from 'baileys';
import type { BaileysEventMap, SocketConfig, WASocket } from 'baileys';
import type { Logger } from '../../logger.js';
import type {
  WhatsAppMessage,
  CloseInfo,
  ConnectOptions,
  OutgoingMessage,
  Presence,
  SentMessage,
  WhatsAppClient,
  WhatsAppClientEvents,
  WhatsAppConnector,
} from '../whatsapp-client.js';
import { loadBaileysAuthState, makeSignalKeyStore } from './auth-state-bridge.js';
import type { BaileysAuthState } from './auth-state-bridge.js';
import { routeConsoleToLogger } from './console-route.js';
import type { MediaTrust } from './sandbox-trust.js';
import { GroupCache, groupsAndContacts } from './groups-contacts.js';
import { ChatAliases, decodeRaw, mapMessage, mapReceipts, mapUpdates, statusesFromUpsert } from './message-mapping.js';
import { FrameGate } from './frame-gate.js';
import { installTrialDecrypt } from './libsignal-trial-decrypt.js';
import type { RawSend } from './frame-gate.js';
import { toContent, toJid, toSendOptions } from './send-message.js';

export interface BaileysConnectorOptions {
  /** WebSocket URL of the network; undefined = real WhatsApp. wa-sim gives `ws://127.0.0.1:PORT/ws/chat`. */
  waWebSocketUrl?: string;
  /** Pinned WhatsApp Web version, so startup makes no network call. */
  version?: [number, number, number];
  /** Sandbox: agents that trust wa-sim's media host (from `useSimulatorTrust`). */
  mediaTrust?: MediaTrust;
  /** Root logger; libsignal's console output is routed into it. */
  logger: Logger;
  connectTimeoutMs?: number;
  /** Per-query timeout; Baileys' default is 60 s. */
  defaultQueryTimeoutMs?: number;
  /** Test hook: called synchronously right before a frame of this session reaches the wire. */
  onFrameWrite?: (sessionId: string, bytes: number) => void;
}

/** The part of the `ws` WebSocket under Baileys' client that the FrameGate takes over. */
interface GatedSocket {
  send: RawSend;
  close(code?: number, reason?: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** Longest a closing socket waits for frames still held by the gate (Baileys' logout frame). */
const CLOSE_DRAIN_MS = 3000;

/** Opens Baileys sockets; one `connect` = one `makeWASocket`. */
export class BaileysConnector implements WhatsAppConnector {
  constructor(private readonly options: BaileysConnectorOptions) {
    routeConsoleToLogger(options.logger);
    installTrialDecrypt();
  }

  async connect(options: ConnectOptions): Promise<{ client: WhatsAppClient; isNew: boolean }> {
    const auth = await loadBaileysAuthState(options.auth);
    return { client: new BaileysClient(auth, options, this.options), isNew: auth.isNew };
  }
}

/** Baileys is chatty at info; its records go at warn unless the worker logs at debug or finer. */
function engineLogger(logger: Logger): Logger {
  const fine = logger.level === 'debug' || logger.level === 'trace';
  return logger.child({ component: 'baileys' }, { level: fine ? logger.level : logger.level === 'silent' ? 'silent' : 'warn' });
}

class BaileysClient implements WhatsAppClient {
  readonly #events = new EventEmitter();
  readonly #sock: WASocket;
  readonly #auth: BaileysAuthState;
  readonly #log: Logger;
  readonly #aliases = new ChatAliases();
  readonly #groups = new GroupCache();
  readonly #getMessageRaw: ConnectOptions['getMessageRaw'];
  readonly #mediaTrust: BaileysConnectorOptions['mediaTrust'];
  readonly #gc: ReturnType<typeof groupsAndContacts>;
  readonly #gate: FrameGate;
  #closed = false;
  #ending = false;

  constructor(auth: BaileysAuthState, options: ConnectOptions, connector: BaileysConnectorOptions) {
    this.#auth = auth;
    this.#log = options.logger;
    this.#getMessageRaw = options.getMessageRaw;
    this.#mediaTrust = connector.mediaTrust;
    this.#sock = makeWASocket({
      auth: auth.state,
      logger: engineLogger(options.logger),
      browser: Browsers.ubuntu('WAGate'),
      markOnlineOnConnect: false,
      // No full history; Baileys' default still syncs the initial bootstrap, which carries the
      // LID ↔ phone mappings v7 needs (it warns that refusing all sync makes sessions unstable).
      syncFullHistory: false,
      printQRInTerminal: false,
      ...(connector.waWebSocketUrl === undefined ? {} : { waWebSocketUrl: connector.waWebSocketUrl }),
      ...(connector.version === undefined ? {} : { version: connector.version }),
      ...(connector.mediaTrust === undefined
        ? {}
        : {
            fetchAgent: connector.mediaTrust.fetchAgent,
            // undici's fetch reads `dispatcher` from RequestInit; the DOM RequestInit type lacks it.
            options: { dispatcher: connector.mediaTrust.dispatcher } as unknown as SocketConfig['options'],
          }),
      ...(connector.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: connector.connectTimeoutMs }),
      ...(connector.defaultQueryTimeoutMs === undefined ? {} : { defaultQueryTimeoutMs: connector.defaultQueryTimeoutMs }),
      // Signal state goes straight to our store, not through Baileys' key transaction. That
      // transaction finds its context in AsyncLocalStorage, but libsignal runs every job on an
      // address in the context of whichever job started that address's queue: under concurrent
      // sends and receipts with one contact, a decrypt's ratchet step could be written into
      // another (sometimes already committed) transaction and never stored. Reasoned from the
      // code, no failing test; the sends the chaos test lost after a move had another cause,
      // libsignal's session trial (libsignal-trial-decrypt.ts). Here each write is the session's
      // own, recorded in the store (readable at once) before libsignal's job resolves; it is
      // stored by the next key flush, which the gate runs before any frame leaves, and which takes
      // no decrypt's ratchet step before that decrypt's message is journaled (`holdDecrypts`).
      makeSignalRepository: (signalAuth, logger, pnToLid) => {
        const direct = { ...makeSignalKeyStore(options.auth, { recordOnly: true }), isInTransaction: () => false, transaction: <T>(work: () => Promise<T>) => work() };
        const repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository({ creds: signalAuth.creds, keys: direct }, logger, pnToLid);
        return {
          ...repository,
          decryptMessage: (args) => this.#gate.decrypt(() => repository.decryptMessage(args)),
          decryptGroupMessage: (args) => this.#gate.decrypt(() => repository.decryptGroupMessage(args)),
        };
      },
      getMessage: async (key) => {
        if (key.id == null || key.remoteJid == null) return undefined;
        const raw = await this.#getMessageRaw(this.#aliases.resolve(key.remoteJid).chatId, key.id);
        return raw === undefined ? undefined : decodeRaw(raw);
      },
      cachedGroupMetadata: async (jid) => this.#groups.get(jid),
    });
    this.#gc = groupsAndContacts(this.#sock, this.#groups);
    this.#gate = this.#installGate(options, connector);
    this.#wire();
  }

  /**
   * Puts the FrameGate between Baileys and the wire (see frame-gate.ts): every frame waits until the
   * session's stored state covers it and every incoming message seen before it is journaled.
   */
  #installGate(options: ConnectOptions, connector: BaileysConnectorOptions): FrameGate {
    // Baileys keeps the `ws` socket in a protected field and created it (connect()) inside
    // makeWASocket; its own send() calls `socket.send(bytes, cb)`, which is what we take over.
    const client = this.#sock.ws as unknown as { socket: GatedSocket | null };
    const socket = client.socket;
    if (socket === null) throw new Error('Baileys did not open its WebSocket.');
    const write: RawSend = socket.send.bind(socket);
    const close = socket.close.bind(socket);
    const gate = new FrameGate(write, {
      flushState: () => options.auth.flush(),
      logger: options.logger,
      ...(connector.onFrameWrite === undefined ? {} : { onWrite: (bytes: number) => connector.onFrameWrite?.(options.sessionId, bytes) }),
    });
    socket.send = (data, cb) => gate.send(data, cb);
    // Baileys' logout sends its last frame and closes at once: that frame still goes first.
    socket.close = (code, reason) => {
      void gate.drainedWithin(CLOSE_DRAIN_MS).finally(() => close(code, reason));
    };
    // Key flushes wait for decrypted messages to be journaled (see `FrameGate.holdDecrypts`).
    const guard = () => gate.holdDecrypts();
    options.auth.setBatchGuard(guard);
    socket.once('close', () => {
      gate.close('the WhatsApp socket closed');
      options.auth.clearBatchGuard(guard);
    });
    return gate;
  }

  #onUpsert({ messages, type }: BaileysEventMap['messages.upsert']): void {
    const self = { id: this.#sock.user?.id };
    const mapped = messages.map((m) => mapMessage(m, this.#aliases, self)).filter((m) => m !== null);
    // Journaled (or nothing to journal): the receipts the gate holds for them may go.
    // Baileys decrypts and announces one message at a time (its message mutex), so what was
    // decrypted up to now is this message and those announced before it.
    const covers = this.#gate.decrypts;
    this.#gate.announced();
    if (mapped.length === 0) return this.#gate.journaled(covers);
    // Journaled: the receipts the gate holds for them may go.
    void this.#announce(mapped, type === 'notify' ? 'live' : 'history').finally(() => this.#gate.journaled(covers));
  }

  /** Hands messages to every listener and resolves when each has finished with them (journaled). */
  async #announce(messages: WhatsAppMessage[], kind: 'live' | 'history'): Promise<void> {
    const listeners = this.#events.listeners('messages') as WhatsAppClientEvents['messages'][];
    await Promise.allSettled(
      listeners.map(async (listener) => {
        try {
          await listener(messages, kind);
        } catch (error) {
          this.#log.error({ err: error, event: 'messages' }, 'A WhatsApp client listener threw');
        }
      }),
    );
  }

  on<E extends keyof WhatsAppClientEvents>(event: E, listener: WhatsAppClientEvents[E]): void {
    // WhatsAppClientEvents is the contract; the untyped emitter only stores the listener.
    this.#events.on(event, listener as (...args: unknown[]) => void);
  }

  #emit<E extends keyof WhatsAppClientEvents>(event: E, ...args: Parameters<WhatsAppClientEvents[E]>): void {
    try {
      this.#events.emit(event, ...args);
    } catch (error) {
      this.#log.error({ err: error, event }, 'A WhatsApp client listener threw');
    }
  }

  #wire(): void {
    const ev = this.#sock.ev;
    ev.on('creds.update', () => {
      this.#auth.saveCreds().catch((error: unknown) => this.#log.error({ err: error }, 'Saving creds failed'));
    });
    ev.on('connection.update', (update) => {
      if (update.qr !== undefined) this.#emit('qr', update.qr);
      if (update.connection === 'open') {
        const user = this.#sock.user;
        this.#emit('open', { id: user?.id ?? '', lid: user?.lid, name: user?.name ?? user?.notify });
      }
      if (update.connection === 'close') {
        // Baileys closes with a Boom error whose output.statusCode is the disconnect reason.
        const error = update.lastDisconnect?.error as (Error & { output?: { statusCode?: number } }) | undefined;
        const statusCode = error?.output?.statusCode;
        void this.#onClose({ statusCode: this.#ending ? undefined : statusCode, message: this.#ending ? 'ended by the worker' : (error?.message ?? 'connection closed') });
      }
    });
    ev.on('lid-mapping.update', ({ lid, pn }) => this.#aliases.learn(lid, pn));
    // New messages are taken as Baileys emits them, before its event buffer: while buffering (the
    // first connection waits up to 20 s for history, offline catch-up until it ends) the buffered
    // copy reaches listeners only at the flush, and the receipts the gate holds must not wait that long.
    const emit = ev.emit.bind(ev);
    ev.emit = <T extends keyof BaileysEventMap>(event: T, arg: BaileysEventMap[T]): boolean => {
      if (event === 'messages.upsert') this.#onUpsert(arg as BaileysEventMap['messages.upsert']);
      return emit(event, arg);
    };
    ev.on('messages.upsert', ({ messages }) => {
      // The messages themselves were announced at emit time; statuses folded into them are read here.
      const statuses = statusesFromUpsert(messages, this.#aliases);
      if (statuses.length > 0) this.#emit('status', statuses);
    });
    ev.on('messages.update', (updates) => {
      const statuses = mapUpdates(updates, this.#aliases);
      if (statuses.length > 0) this.#emit('status', statuses);
    });
    ev.on('message-receipt.update', (receipts) => {
      const statuses = mapReceipts(receipts, this.#aliases);
      if (statuses.length > 0) this.#emit('status', statuses);
    });
    ev.on('groups.update', (updates) => {
      for (const u of updates) if (u.id !== undefined) this.#groups.invalidate(u.id);
    });
    ev.on('group-participants.update', ({ id }) => this.#groups.invalidate(id));
  }

  async #onClose(info: CloseInfo): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.ev.removeAllListeners('connection.update');
    this.#sock.ev.removeAllListeners('messages.upsert');
    this.#sock.ev.removeAllListeners('messages.update');
    this.#sock.ev.removeAllListeners('message-receipt.update');
    const { creds } = this.#auth.state;
    // A pairing code sets creds.me before pairing completes; left there, the next socket would
    // try to log in as a device that does not exist (401). Pairing is complete once pair-success
    // gave us the signed device identity (`account`), for QR and code alike.
    if (creds.me !== undefined && creds.account == null) {
      creds.me = undefined;
      creds.pairingCode = undefined;
      await this.#auth.saveCreds().catch((error: unknown) => this.#log.warn({ err: error }, 'Resetting an unfinished pairing failed'));
    }
    this.#sock.ev.removeAllListeners('creds.update');
    this.#emit('close', info);
    this.#events.removeAllListeners();
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    const digits = toJid(phoneNumber).split('@')[0] ?? '';
    return this.#sock.requestPairingCode(digits);
  }

  async send(message: OutgoingMessage, options: { messageId?: string } = {}): Promise<SentMessage> {
    const jid = toJid(message.to);
    const sendOptions = { ...(await toSendOptions(message, jid, this.#getMessageRaw)), ...(options.messageId === undefined ? {} : { messageId: options.messageId }) };
    const sent = await this.#sock.sendMessage(jid, toContent(message, jid), sendOptions);
    if (sent === undefined) throw new Error('Baileys did not return the sent message.');
    // Baileys resolves once the frame is queued at the gate; ours resolves once it is on the wire.
    await this.#gate.drained();
    let mapped = mapMessage(sent, this.#aliases, { id: this.#sock.user?.id });
    // Edits and deletes go out as protocol messages, which mapMessage skips as "no content"; the
    // send still happened, so answer with the stanza's id and what it did.
    if (mapped === null && (message.type === 'edit' || message.type === 'delete') && sent.key.id != null) {
      const { chatId, aliases } = this.#aliases.resolve(jid);
      mapped = {
        id: sent.key.id,
        chatId,
        chatAliases: aliases,
        fromMe: true,
        sender: this.#sock.user?.id,
        senderName: undefined,
        timestamp: Date.now(),
        type: message.type,
        text: message.type === 'edit' ? message.text : undefined,
        media: undefined,
        refId: message.messageId,
        status: 'pending',
        raw: undefined,
      };
    }
    if (mapped === null || sent.key.id == null) throw new Error('The sent message has no content.');
    return { id: mapped.id, timestamp: mapped.timestamp, message: { ...mapped, status: mapped.status ?? 'pending' } };
  }

  async downloadMedia(message: WhatsAppMessage): Promise<Buffer> {
    if (message.raw === undefined) throw new Error(`Message ${message.id} has no stored payload to download media from.`);
    const wa = { key: { remoteJid: message.chatId, id: message.id, fromMe: message.fromMe }, message: decodeRaw(message.raw) };
    const options =
      this.#mediaTrust === undefined
        ? {}
        : // undici's fetch takes the dispatcher that trusts wa-sim's media host; the DOM type lacks it.
          { options: { dispatcher: this.#mediaTrust.dispatcher } as unknown as RequestInit };
    // An expired CDN URL is refreshed by asking the phone to re-upload (reuploadRequest).
    return downloadMediaMessage(wa, 'buffer', options, { logger: engineLogger(this.#log), reuploadRequest: (m) => this.#sock.updateMediaMessage(m) });
  }

  async logout(): Promise<void> {
    await this.#sock.logout();
  }

  async end(): Promise<void> {
    if (this.#closed) return;
    this.#ending = true;
    await this.#sock.end(undefined);
  }

  onWhatsApp(phoneNumbers: string[]) {
    return this.#gc.onWhatsApp(phoneNumbers);
  }
  profilePictureUrl(jid: string) {
    return this.#gc.profilePictureUrl(jid);
  }
  async sendPresence(presence: Presence, jid?: string): Promise<void> {
    await this.#sock.sendPresenceUpdate(presence, jid === undefined ? undefined : toJid(jid));
  }
  groupCreate(subject: string, participants: string[]) {
    return this.#gc.groupCreate(subject, participants);
  }
  groupMetadata(jid: string) {
    return this.#gc.groupMetadata(jid);
  }
  groupList() {
    return this.#gc.groupList();
  }
  groupParticipants(jid: string, participants: string[], action: 'add' | 'remove' | 'promote' | 'demote') {
    return this.#gc.groupParticipants(jid, participants, action);
  }
  groupLeave(jid: string) {
    return this.#gc.groupLeave(jid);
  }
  groupInviteCode(jid: string, revoke: boolean) {
    return this.#gc.groupInviteCode(jid, revoke);
  }
}
