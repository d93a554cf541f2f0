import { randomBytes } from 'node:crypto';
import { encodeWAMessage, proto, unpadRandomMax16 } from 'baileys';
import type { AnyMessageContent } from 'baileys';
import type { Logger } from 'pino';
import { summarizeMessage, stanzaTypeOf, mediaTypeOf } from '../messaging/content.js';
import type { ChatRef, EncPayload, Envelope } from '../messaging/envelope.js';
import type { DeviceAddress } from './device-registry.js';
import { isGroupJid, lidJid, normalizePhone, pnJid } from './jids.js';
import type { PairedDeviceInfo, PhoneNetwork, ReceiptKind } from './phone-network.js';
import { buildContent, downloadMedia, initialHistoryMessage } from './phone-media.js';
import { toE2ESession } from './phone-signal.js';
import type { PhoneSignal } from './phone-signal.js';

export interface InboxEntry {
  id: string;
  /** 1:1: the other party's PN JID; groups: the group JID. */
  chat: string;
  /** PN JID of the sending device. */
  sender: string;
  /** True when one of this account's own companions sent it (to someone else). */
  fromMe: boolean;
  message: proto.IMessage;
  kind: string | undefined;
  text: string | undefined;
  timestamp: number;
  stanzaType: string;
  receiptsSent: { delivery?: number; read?: number };
}

export interface SentEntry {
  id: string;
  chat: string;
  message: proto.IMessage;
  timestamp: number;
  /** Receipts per receiving device JID (PN form). */
  receipts: Map<string, { delivery?: number; read?: number; played?: number }>;
}

export interface PhoneInit {
  phone: string;
  lid: string;
  pushName: string;
}

const INBOX_LIMIT = 10_000;
/** Baileys' default maxMsgRetryCount: retries a client asks for one message. */
const MAX_RETRIES = 5;
/** Retry counts remembered (oldest forgotten first). */
const RETRY_MEMORY = 10_000;

type Waiter<T> = { predicate: (entry: T) => boolean; resolve: (entry: T) => void };

/**
 * A virtual phone: the primary device (device 0) of one account. It has its own Signal identity,
 * decrypts what companions send it, sends (encrypted) to other accounts and to its own
 * companions, and answers with receipts like a real handset.
 */
export class VirtualPhone {
  readonly phone: string;
  readonly lid: string;
  pushName: string;
  /** URL returned for this account's profile picture; undefined = none (404). */
  profilePictureUrl: string | undefined;
  readonly inbox: InboxEntry[] = [];
  readonly sent: SentEntry[] = [];
  /** Fault hook: the next N messages fail to decrypt and get a retry receipt instead. */
  failNextDecrypts = 0;
  readonly #senderKeyMemory = new Map<string, Set<string>>();
  readonly #inboxWaiters = new Set<Waiter<InboxEntry>>();
  readonly #log: Logger;

  constructor(
    init: PhoneInit,
    readonly signal: PhoneSignal,
    private readonly net: PhoneNetwork,
  ) {
    this.phone = init.phone;
    this.lid = init.lid;
    this.pushName = init.pushName;
    this.#log = net.logger.child({ phone: init.phone });
  }

  get jid(): string {
    return pnJid(this.phone);
  }

  get lidJid(): string {
    return lidJid(this.lid);
  }

  get address(): DeviceAddress {
    return { phone: this.phone, deviceId: 0 };
  }

  /** Companion devices currently linked to this account. */
  companions(): { jid: string; lid: string; deviceId: number; platform: string }[] {
    return this.net.registry.companionsOf(this.phone).map((d) => ({
      jid: pnJid(this.phone, d.deviceId),
      lid: lidJid(this.lid, d.deviceId),
      deviceId: d.deviceId,
      platform: d.platform,
    }));
  }

  /** Scans a companion's QR (the `qr` string Baileys emits); resolves once it is linked. */
  scan(qr: string): Promise<PairedDeviceInfo> {
    return this.net.scan(this.phone, qr);
  }

  /** Types the 8-character code a companion showed after `requestPairingCode(thisNumber)`. */
  enterPairingCode(code: string): Promise<PairedDeviceInfo> {
    return this.net.enterPairingCode(this.phone, code);
  }

  /** Unlinks one of this account's companions (by device id or JID). */
  unlink(companion: number | string): void {
    const deviceId = typeof companion === 'number' ? companion : (this.net.registry.resolve(companion)?.deviceId ?? -1);
    this.net.unlink(this.phone, deviceId);
  }

  /** Online/offline, seen by companions that subscribed to this account's presence. */
  setPresence(state: 'available' | 'unavailable'): void {
    this.net.setPresence(this.phone, state);
  }

  /** Typing indicator towards `to`'s companions. */
  typing(to: string, state: 'composing' | 'recording' | 'paused' = 'composing'): void {
    this.net.chatState(this.phone, to, state);
  }

  // ---- sending -------------------------------------------------------------------------------

  sendText(to: string, text: string): Promise<SentEntry> {
    return this.sendMessage(to, { conversation: text });
  }

  /**
   * Sends any Baileys content (`{ image: buffer, caption }`, `{ react: … }`, `{ poll: … }`,
   * `{ location: … }` …), uploading media to the simulator's media host first.
   */
  async send(to: string, content: AnyMessageContent, options: { id?: string } = {}): Promise<SentEntry> {
    return this.sendMessage(to, await buildContent(content, this.net.mediaStore), options);
  }

  /** Decrypted bytes of a received image/video/audio/document/sticker. */
  downloadMedia(entry: InboxEntry): Promise<Buffer> {
    return downloadMedia(entry.message, this.net.mediaStore);
  }

  /** Encrypts `message` for every device of the recipient (and this account's companions). */
  async sendMessage(to: string, message: proto.IMessage, options: { id?: string } = {}): Promise<SentEntry> {
    const id = options.id ?? `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
    const withSecret: proto.IMessage = {
      ...message,
      messageContextInfo: { messageSecret: randomBytes(32), ...(message.messageContextInfo ?? {}) },
    };
    const t = Math.floor(Date.now() / 1000);
    const entry: SentEntry = { id, chat: isGroupJid(to) ? to : pnJid(normalizePhone(to)), message: withSecret, timestamp: t, receipts: new Map() };
    this.sent.push(entry);
    if (this.sent.length > INBOX_LIMIT) this.sent.splice(0, this.sent.length - INBOX_LIMIT);
    const base = { id, t, type: stanzaTypeOf(withSecret), from: this.address, notify: this.pushName };
    const mediatype = mediaTypeOf(withSecret);
    if (isGroupJid(to)) {
      await this.#sendGroup(to, withSecret, { ...base, ...(mediatype ? { mediatype } : {}) });
      return entry;
    }
    const peer = normalizePhone(to);
    if (!this.net.registry.hasAccount(peer)) throw new Error(`${peer} is not on the simulated network`);
    const chat: ChatRef = { kind: 'user', peer };
    const targets = [
      ...this.net.registry.devicesOf(peer).map((d) => ({ phone: peer, deviceId: d.id })),
      ...(peer === this.phone ? [] : this.net.registry.companionsOf(this.phone).map((d) => ({ phone: this.phone, deviceId: d.deviceId }))),
    ].filter((a) => !(a.phone === this.phone && a.deviceId === 0));
    const dsm: proto.IMessage = { deviceSentMessage: { destinationJid: pnJid(peer), message: withSecret }, messageContextInfo: withSecret.messageContextInfo };
    for (const target of targets) {
      const enc = await this.encryptFor(target, target.phone === this.phone ? dsm : withSecret);
      if (enc === undefined) continue;
      this.net.deliver({ ...base, ...(mediatype ? { mediatype } : {}), chat, encs: [enc] }, target);
    }
    return entry;
  }

  async #sendGroup(group: string, message: proto.IMessage, base: Omit<Envelope, 'chat' | 'encs'>): Promise<void> {
    const members = this.net.groupParticipants(group);
    if (members === undefined) throw new Error(`unknown group ${group}`);
    const me = this.lidJid;
    const { ciphertext, senderKeyDistributionMessage } = await this.signal.repository.encryptGroupMessage({ group, meId: me, data: encodeWAMessage(message) });
    let memory = this.#senderKeyMemory.get(group);
    if (memory === undefined) this.#senderKeyMemory.set(group, (memory = new Set()));
    const chat: ChatRef = { kind: 'group', jid: group };
    for (const member of members) {
      for (const d of this.net.registry.devicesOf(member)) {
        const target = { phone: member, deviceId: d.id };
        if (member === this.phone && d.id === 0) continue;
        const key = `${member}:${d.id}`;
        const encs: EncPayload[] = [];
        if (!memory.has(key)) {
          const enc = await this.encryptFor(target, { senderKeyDistributionMessage: { groupId: group, axolotlSenderKeyDistributionMessage: senderKeyDistributionMessage } });
          if (enc !== undefined) encs.push(enc);
          memory.add(key);
        }
        encs.push({ type: 'skmsg', ciphertext });
        this.net.deliver({ ...base, chat, encs }, target);
      }
    }
  }

  /** Pairwise Signal encryption to one device, fetching its bundle when there is no session. */
  async encryptFor(target: DeviceAddress, message: proto.IMessage): Promise<EncPayload | undefined> {
    const jid = this.#signalJid(target);
    const repo = this.signal.repository;
    if (!(await repo.validateSession(jid)).exists) {
      const bundle = await this.net.takeBundle(target);
      if (bundle === undefined) {
        this.#log.warn({ target: jid }, 'No pre-key bundle, skipping device');
        return undefined;
      }
      await repo.injectE2ESession({ jid, session: toE2ESession(bundle) });
    }
    const { type, ciphertext } = await repo.encryptMessage({ jid, data: encodeWAMessage(message) });
    return { type, ciphertext };
  }

  /**
   * What a real phone does right after linking: push the (here empty) initial history inline.
   * Baileys buffers all events after its first login until this arrives (or 20 s pass).
   */
  async sendInitialHistory(deviceId: number): Promise<void> {
    const target = { phone: this.phone, deviceId };
    const message = initialHistoryMessage();
    const enc = await this.encryptFor(target, message);
    if (enc === undefined) return;
    const id = `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
    this.net.deliver({ id, t: Math.floor(Date.now() / 1000), type: 'text', from: this.address, chat: { kind: 'user', peer: this.phone }, encs: [enc], attrs: { category: 'peer' } }, target);
  }

  /** Signal addresses are always the LID device JID, so both directions share one session. */
  #signalJid(address: DeviceAddress): string {
    return this.net.registry.lidJidOf(address);
  }

  /** Answers a retry receipt: a new session from the receipt's keys if it has them, then the same message again. */
  async resend(messageId: string, to: DeviceAddress, count: number, bundle?: Parameters<PhoneSignal['repository']['injectE2ESession']>[0]['session']): Promise<void> {
    const entry = this.sent.find((s) => s.id === messageId);
    if (entry === undefined) {
      this.#log.warn({ id: messageId, to }, 'Virtual phone was asked to resend a message it does not have');
      return;
    }
    const jid = this.#signalJid(to);
    this.#log.info({ id: messageId, to, count, withKeys: bundle !== undefined }, 'Virtual phone resends after a retry receipt');
    // As WhatsApp clients do (Baileys' sendMessagesAgain): keys in the receipt start a new session;
    // without them the message is encrypted again on the session there is (a new one only if
    // there is none). Dropping the session here would also drop every session the other device
    // still sends on, and its next messages would fail at this phone.
    if (bundle !== undefined) await this.signal.repository.injectE2ESession({ jid, session: bundle });
    const own = to.phone === this.phone;
    const message = own && !isGroupJid(entry.chat) ? { deviceSentMessage: { destinationJid: entry.chat, message: entry.message } } : entry.message;
    const enc = await this.encryptFor(to, message);
    if (enc === undefined) return;
    const chat: ChatRef = isGroupJid(entry.chat) ? { kind: 'group', jid: entry.chat } : { kind: 'user', peer: normalizePhone(entry.chat) };
    this.net.deliver({ id: entry.id, t: entry.timestamp, type: stanzaTypeOf(entry.message), from: this.address, chat, encs: [{ ...enc, count: String(count) }], notify: this.pushName }, to);
  }

  // ---- receiving -----------------------------------------------------------------------------

  /** Decrypts an envelope addressed to this phone; failures answer with a retry receipt. */
  async receive(env: Envelope): Promise<void> {
    const senderJid = this.#signalJid(env.from);
    const group = env.chat.kind === 'group' ? env.chat.jid : undefined;
    if (this.failNextDecrypts > 0) {
      this.failNextDecrypts -= 1;
      await this.#retry(env);
      return;
    }
    let message: proto.IMessage | undefined;
    try {
      for (const enc of env.encs) {
        let plain: Uint8Array;
        if (enc.type === 'skmsg') {
          if (group === undefined) continue;
          plain = await this.signal.repository.decryptGroupMessage({ group, authorJid: senderJid, msg: enc.ciphertext });
        } else {
          plain = await this.signal.repository.decryptMessage({ jid: senderJid, type: enc.type, ciphertext: enc.ciphertext });
        }
        let decoded: proto.IMessage = proto.Message.decode(unpadRandomMax16(plain));
        decoded = decoded.deviceSentMessage?.message ?? decoded;
        if (decoded.senderKeyDistributionMessage && group !== undefined) {
          await this.signal.repository.processSenderKeyDistributionMessage({ authorJid: senderJid, item: decoded.senderKeyDistributionMessage });
        }
        message = { ...(message ?? {}), ...decoded };
      }
    } catch (err) {
      this.#log.warn({ err, id: env.id, from: env.from, types: env.encs.map((e) => e.type) }, 'Virtual phone failed to decrypt, asking for a retry');
      await this.#retry(env);
      return;
    }
    if (message === undefined) return;
    const { senderKeyDistributionMessage: _skdm, ...content } = message;
    if (Object.keys(content).length === 0 || (Object.keys(content).length === 1 && content.messageContextInfo)) return;
    const fromMe = env.from.phone === this.phone;
    const chat = group ?? (fromMe && env.chat.kind === 'user' ? pnJid(env.chat.peer) : pnJid(env.from.phone));
    // A resend (retry to a primary device goes to everyone) is the same message: keep one.
    if (this.inbox.some((e) => e.id === env.id && e.sender === pnJid(env.from.phone, env.from.deviceId))) return;
    const summary = summarizeMessage(content);
    const entry: InboxEntry = {
      id: env.id,
      chat,
      sender: pnJid(env.from.phone, env.from.deviceId),
      fromMe,
      message: content,
      kind: summary.kind,
      text: summary.text,
      timestamp: env.t,
      stanzaType: env.type,
      receiptsSent: {},
    };
    this.inbox.push(entry);
    // Bounded, so long benchmark runs do not grow the simulator without limit.
    if (this.inbox.length > INBOX_LIMIT) {
      for (const old of this.inbox.splice(0, this.inbox.length - INBOX_LIMIT)) this.#envelopes.delete(old.id);
    }
    for (const waiter of this.#inboxWaiters) {
      if (waiter.predicate(entry)) {
        this.#inboxWaiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
    if (!fromMe) this.#scheduleReceipts(entry, env);
  }

  /**
   * Asks the sender for the message again, as a WhatsApp client does: the count goes up with every
   * failure of that message, from the second one on with a fresh pre-key bundle (the sender starts
   * a new session from it), and after MAX_RETRIES the phone gives up on the message.
   */
  async #retry(env: Envelope): Promise<void> {
    const key = `${env.id}|${env.from.phone}:${env.from.deviceId}`;
    const count = (this.#retries.get(key) ?? 0) + 1;
    this.#retries.set(key, count);
    if (this.#retries.size > RETRY_MEMORY) this.#retries.delete(this.#retries.keys().next().value as string);
    if (count > MAX_RETRIES) {
      this.#log.warn({ id: env.id, from: env.from }, 'Virtual phone gives up on a message it cannot decrypt');
      return;
    }
    const keys = count > 1 ? await this.signal.takeBundle() : undefined;
    this.net.sendReceipt({
      from: this.address,
      to: env.from,
      messageId: env.id,
      kind: 'retry',
      ...(env.chat.kind === 'group' ? { group: env.chat.jid } : {}),
      retry: { count, registrationId: this.signal.creds.registrationId, ...(keys === undefined ? {} : { keys }) },
    });
  }

  /** Failed decrypts per message and sender, for the retry count. */
  readonly #retries = new Map<string, number>();

  readonly #envelopes = new Map<string, Envelope>();

  #scheduleReceipts(entry: InboxEntry, env: Envelope): void {
    this.#envelopes.set(entry.id, env);
    const { delivery, read } = this.net.receiptDelays;
    if (delivery !== null) setTimeout(() => this.markDelivered(entry.id), delivery).unref();
    if (read !== null) setTimeout(() => this.markRead(entry.id), Math.max(read, delivery ?? 0)).unref();
  }

  /** Sends the delivery receipt for a received message (automatic unless delays are null). */
  markDelivered(messageId: string): void {
    this.#receipt(messageId, 'delivery');
  }

  /** Sends the read receipt (blue ticks) for a received message. */
  markRead(messageId: string): void {
    this.#receipt(messageId, 'read');
  }

  #receipt(messageId: string, kind: ReceiptKind): void {
    const entry = this.inbox.find((e) => e.id === messageId);
    const env = this.#envelopes.get(messageId);
    if (entry === undefined || env === undefined) return;
    const key = kind === 'read' ? 'read' : 'delivery';
    if (entry.receiptsSent[key] !== undefined) return;
    entry.receiptsSent[key] = Date.now();
    this.net.sendReceipt({ from: this.address, to: env.from, messageId, kind, ...(env.chat.kind === 'group' ? { group: env.chat.jid } : {}) });
  }

  /** Records a receipt for something this phone sent. */
  onReceipt(messageId: string, fromDevice: DeviceAddress, kind: ReceiptKind): void {
    const entry = this.sent.find((s) => s.id === messageId);
    if (entry === undefined || kind === 'retry') return;
    const jid = pnJid(fromDevice.phone, fromDevice.deviceId);
    const r = entry.receipts.get(jid) ?? {};
    r[kind] = Date.now();
    entry.receipts.set(jid, r);
  }

  /** Resolves with the first inbox entry (already received or future) matching `predicate`. */
  waitForMessage(predicate: (entry: InboxEntry) => boolean = () => true, timeoutMs = 5000): Promise<InboxEntry> {
    const existing = this.inbox.find(predicate);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<InboxEntry> = {
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#inboxWaiters.delete(waiter);
        reject(new Error(`${this.phone}: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#inboxWaiters.add(waiter);
    });
  }
}
