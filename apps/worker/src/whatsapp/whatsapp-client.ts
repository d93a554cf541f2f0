import type { AuthStateStore } from '../auth-state/index.js';
import type { Logger } from '../logger.js';

/** Delivery progress of a message, in order; `failed` is terminal. */
export const MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'read', 'played', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contact', 'reaction', 'poll', 'edit', 'delete', 'unknown'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface MediaInfo {
  mimetype: string | undefined;
  fileName: string | undefined;
  size: number | undefined;
  /** BlobStore key once the media was stored (media/<sessionId>/…); undefined until downloaded. */
  blobKey?: string;
}

/** Our message: what history stores and events carry. Never a Baileys type. */
export interface WhatsAppMessage {
  id: string;
  /**
   * The chat, by phone JID when known (`…@s.whatsapp.net`), else by LID (`…@lid`) or group
   * (`…@g.us`). WhatsApp v7 addresses 1:1 chats by LID; both name the same chat.
   */
  chatId: string;
  /** Every JID known for this chat (phone JID and LID), including `chatId`. */
  chatAliases: string[];
  fromMe: boolean;
  /** Author JID: the participant in a group, the peer in a 1:1, ourselves when fromMe. */
  sender: string | undefined;
  senderName: string | undefined;
  /** Milliseconds since the epoch. */
  timestamp: number;
  type: MessageType;
  /** Body of a text, caption of media, emoji of a reaction. */
  text: string | undefined;
  media: MediaInfo | undefined;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  /** For a reaction: the message reacted to. For a reply: the quoted message. */
  refId: string | undefined;
  status: MessageStatus | undefined;
  /**
   * Opaque engine payload (base64) kept so the engine can resend the exact content on a retry
   * request; callers store it and hand it back through `getMessageRaw`.
   */
  raw: string | undefined;
}

export interface MessageStatusUpdate {
  id: string;
  chatId: string;
  status: MessageStatus;
  /** Milliseconds since the epoch when seen by the worker. */
  timestamp: number;
  /** Group receipts name the member who read or received it. */
  participant?: string;
}

interface OutgoingBase {
  /** A phone number (digits) or a JID (`…@s.whatsapp.net`, `…@lid`, `…@g.us`). */
  to: string;
  quotedId?: string;
  /** Phone numbers or JIDs mentioned in the text or caption. */
  mentions?: string[];
}
export type OutgoingMessage =
  | (OutgoingBase & { type: 'text'; text: string })
  | (OutgoingBase & {
      type: 'image' | 'video' | 'audio' | 'document' | 'sticker';
      /** Bytes, or an http(s) URL the engine fetches. */
      media: { data: Buffer } | { url: string };
      mimetype?: string;
      caption?: string;
      fileName?: string;
      /** Audio only: send as a voice note. */
      ptt?: boolean;
    })
  | (OutgoingBase & { type: 'location'; latitude: number; longitude: number; name?: string; address?: string })
  | (OutgoingBase & { type: 'contact'; contact: { vcard: string } | { name: string; phone: string } })
  | (OutgoingBase & { type: 'poll'; name: string; options: string[]; selectableCount: number })
  | (OutgoingBase & { type: 'reaction'; messageId: string; emoji: string })
  | (OutgoingBase & { type: 'edit'; messageId: string; text: string })
  | (OutgoingBase & { type: 'delete'; messageId: string });

export interface SentMessage {
  id: string;
  timestamp: number;
  message: WhatsAppMessage;
}

export interface SelfIdentity {
  /** Our phone JID with device (`15550001111:3@s.whatsapp.net`). */
  id: string;
  lid: string | undefined;
  name: string | undefined;
}

export interface CloseInfo {
  /** Baileys' disconnect reason code; undefined when the socket simply dropped. */
  statusCode: number | undefined;
  message: string;
}

export interface GroupInfo {
  id: string;
  subject: string;
  description: string | undefined;
  owner: string | undefined;
  /** Milliseconds since the epoch, when WhatsApp says. */
  createdAt: number | undefined;
  participants: { id: string; phoneJid: string | undefined; admin: 'admin' | 'superadmin' | null }[];
}

export type Presence = 'available' | 'unavailable' | 'composing' | 'recording' | 'paused';

export interface WhatsAppClientEvents {
  /** A new QR string to show; it rotates until scanned or expired. */
  qr: (qr: string) => void;
  /** Connected and logged in. */
  open: (me: SelfIdentity) => void;
  /** The socket is gone; this client is dead and a new one is needed to reconnect. */
  close: (info: CloseInfo) => void;
  /** New messages: `live` when received while online, `history` for offline catch-up (both are announced). */
  messages: (messages: WhatsAppMessage[], kind: 'live' | 'history') => void | Promise<void>;
  /** Delivery/read progress of messages (own messages mostly). */
  status: (updates: MessageStatusUpdate[]) => void;
}

/** One live connection (one socket). Reconnecting means creating a new client. */
export interface WhatsAppClient {
  on<E extends keyof WhatsAppClientEvents>(event: E, listener: WhatsAppClientEvents[E]): void;
  /** Pairing by phone number instead of QR; resolves with the 8-character code to type on the phone. */
  requestPairingCode(phoneNumber: string): Promise<string>;
  /**
   * Resolves once the message is on the wire (not merely queued) and the state it was encrypted
   * with is stored. `messageId` fixes the stanza id (a retried send keeps its id).
   */
  send(message: OutgoingMessage, options?: { messageId?: string }): Promise<SentMessage>;
  /** Downloads and decrypts the media of a message we hold (from its engine payload). */
  downloadMedia(message: WhatsAppMessage): Promise<Buffer>;
  /** Unlinks the device; the socket then closes with 401. */
  logout(): Promise<void>;
  /** Closes the socket, keeping the credentials. */
  end(): Promise<void>;
  /** Which of these phone numbers have WhatsApp. */
  onWhatsApp(phoneNumbers: string[]): Promise<{ phoneNumber: string; exists: boolean; jid: string | undefined }[]>;
  profilePictureUrl(jid: string): Promise<string | null>;
  sendPresence(presence: Presence, jid?: string): Promise<void>;
  groupCreate(subject: string, participants: string[]): Promise<GroupInfo>;
  groupMetadata(jid: string): Promise<GroupInfo>;
  groupList(): Promise<GroupInfo[]>;
  /** Per participant: WhatsApp's answer code (200 ok; 403 privacy, 409 already in, …). */
  groupParticipants(jid: string, participants: string[], action: 'add' | 'remove' | 'promote' | 'demote'): Promise<{ participant: string; ok: boolean; code: number | undefined }[]>;
  /** The invite code; `revoke` rotates it first. */
  groupInviteCode(jid: string, revoke: boolean): Promise<string>;
  groupLeave(jid: string): Promise<void>;
}

export interface ConnectOptions {
  sessionId: string;
  auth: AuthStateStore;
  logger: Logger;
  /** Looks up a stored message's engine payload (for retry receipts); undefined when unknown. */
  getMessageRaw(chatId: string, id: string): Promise<string | undefined>;
}

/** Opens WhatsApp connections for one network (real or sandbox). */
export interface WhatsAppConnector {
  /** Starts a socket; events report what happens. `isNew` says the creds have never paired. */
  connect(options: ConnectOptions): Promise<{ client: WhatsAppClient; isNew: boolean }>;
}
