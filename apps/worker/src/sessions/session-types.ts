import type { BlobStore } from '@wagate/storage';
import type { AuthStateStore } from '../auth-state/index.js';
import type { Keyring } from '../crypto/index.js';
import type { NewWorkerEvent } from '../gateway-link/index.js';
import type { HistoryStore } from '../history/index.js';
import type { Logger } from '../logger.js';
import type { PacerSettings } from '../messages/index.js';
import type { SelfIdentity, WhatsAppConnector, WhatsAppMessage } from '../whatsapp/index.js';
import type { ReconnectDecision, ReconnectPolicy } from './reconnect-policy.js';
import type { SessionStatus } from './session-status.js';

/** Where session events go (the gateway outbox); resolves once they are durable. */
export interface EventPublisher {
  publish(events: readonly NewWorkerEvent[]): Promise<unknown>;
}

export interface QrState {
  /** The string Baileys emitted (what a phone scans). */
  raw: string;
  /** The same as a PNG data URL, for a browser. */
  dataUrl: string;
  /** When this QR was emitted (ms). */
  at: number;
  /** When WhatsApp stops accepting it (ms): the first QR lives 60 s, each later one 20 s (Baileys' refs). */
  expiresAt: number;
}

/** How long a pairing code can be typed; WhatsApp does not say, phones show about three minutes. */
export const PAIRING_CODE_TTL_MS = 180_000;

export interface SessionSnapshot {
  sessionId: string;
  epoch: number;
  status: SessionStatus;
  /** Why the session is DISCONNECTED/FAILED/LOGGED_OUT, when known. */
  reason: string | undefined;
  qr: QrState | undefined;
  pairingCode: string | undefined;
  me: SelfIdentity | undefined;
  /** Consecutive failed connection attempts. */
  attempts: number;
}

export interface SessionRuntimeOptions {
  /** Told how every socket close was judged (the worker's reconnect metrics). */
  onSocketClosed?: (decision: ReconnectDecision, statusCode: number | undefined) => void;
  sessionId: string;
  epoch: number;
  connector: WhatsAppConnector;
  auth: AuthStateStore;
  history: HistoryStore;
  events: EventPublisher;
  logger: Logger;
  pacer: PacerSettings;
  policy?: ReconnectPolicy;
  /** Where the current QR image is kept for the gateway (`temp/qr/<sessionId>.png`); optional. */
  saveQrImage?: (sessionId: string, png: Buffer | null) => Promise<void>;
  /** Media bytes are kept here under `media/<sessionId>/…`, sealed with `keyring`; without them media is fetched on every request. */
  blobs?: BlobStore;
  keyring?: Keyring;
  /** Incoming media larger than this is not fetched eagerly (it still is on request). */
  eagerMediaMaxBytes?: number;
}

export const MEDIA_FOLDER: Partial<Record<WhatsAppMessage['type'], string>> = {
  image: 'images',
  sticker: 'images',
  video: 'video',
  audio: 'audio',
  document: 'documents',
};

export interface MediaContent {
  data: Buffer;
  mimetype: string;
  fileName: string | undefined;
}
