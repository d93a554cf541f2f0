import {
  AppError,
  ConflictError,
  NotFoundError,
  QuotaExceededError,
  ValidationError,
  WHATSAPP_CONTENT_TYPES,
  type CreateSandboxPhoneBody,
  type List,
  type ListQuery,
  type SandboxPhone,
  type SandboxPhoneMessage,
} from '@wagate/contracts';
import type { SandboxNetwork, SimInboxEntry, SimSentEntry } from './sandbox-network.js';
import type { SandboxPhonesRepository } from './sandbox.repository.js';

export interface SandboxService {
  createPhone(userId: string, input: CreateSandboxPhoneBody): Promise<SandboxPhone>;
  listPhones(userId: string): Promise<SandboxPhone[]>;
  scan(userId: string, phoneNumber: string, qr: string): Promise<void>;
  enterPairingCode(userId: string, phoneNumber: string, code: string): Promise<void>;
  sendText(userId: string, phoneNumber: string, to: string, text: string): Promise<SandboxPhoneMessage>;
  messages(userId: string, phoneNumber: string, query: ListQuery): Promise<List<SandboxPhoneMessage>>;
  /** Removes the phone's linked devices of that number (the session's WhatsApp account); returns how many. */
  unlink(userId: string, phoneNumber: string, sessionPhoneNumber: string): Promise<number>;
}

/** The simulator keys phones by digits; clients may write `+`. */
export function digitsOf(phone: string): string {
  return phone.replace(/^\+/, '');
}

/** `1555…:3@s.whatsapp.net` → `1555…` (group and LID JIDs are kept whole). */
function numberOf(jid: string): string {
  const m = /^(\d+)(?::\d+)?@s\.whatsapp\.net$/.exec(jid);
  return m ? m[1]! : jid;
}

// What a phone decrypts can be an edit wrapper too, which the worker never stores as a message of its own.
const CONTENT_TYPES: Readonly<Record<string, string>> = { ...WHATSAPP_CONTENT_TYPES, editedMessage: 'edit' };

const ENVELOPE_KEYS = new Set(['messageContextInfo', 'senderKeyDistributionMessage']);

/** Our message type names for a decrypted proto: the same words the send API uses. */
function typeOf(kind: string | null | undefined, message: Record<string, unknown> | null | undefined): string {
  const key = kind ?? Object.keys(message ?? {}).find((k) => !ENVELOPE_KEYS.has(k) && (message ?? {})[k] != null);
  if (key === undefined) return 'unknown';
  if (key === 'protocolMessage' || key === 'editedMessage') {
    // Edits may come wrapped (`editedMessage.message.protocolMessage`); the kind is already unwrapped.
    const wrapped = (message?.editedMessage as { message?: { protocolMessage?: unknown } } | undefined)?.message?.protocolMessage;
    const protocol = (message?.protocolMessage ?? wrapped ?? {}) as { type?: unknown; editedMessage?: unknown };
    if (key === 'editedMessage') return 'edit';
    // REVOKE is type 0 (omitted as the proto default); MESSAGE_EDIT carries the new content.
    if (protocol.editedMessage != null) return 'edit';
    return protocol.type === undefined || protocol.type === 0 || protocol.type === 'REVOKE' ? 'delete' : 'protocol';
  }
  return CONTENT_TYPES[key] ?? key.replace(/Message$/, '');
}

function textOf(message: Record<string, unknown>): string | undefined {
  const m = message as {
    conversation?: string;
    extendedTextMessage?: { text?: string };
    imageMessage?: { caption?: string };
    videoMessage?: { caption?: string };
    documentMessage?: { caption?: string };
  };
  return m.conversation ?? m.extendedTextMessage?.text ?? m.imageMessage?.caption ?? m.videoMessage?.caption ?? m.documentMessage?.caption ?? undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

function inboxView(phone: string, e: SimInboxEntry): SandboxPhoneMessage {
  const receipts: SandboxPhoneMessage['receipts'] = [];
  if (e.receiptsSent.delivery !== undefined) receipts.push({ status: 'DELIVERED', at: iso(e.receiptsSent.delivery) });
  if (e.receiptsSent.read !== undefined) receipts.push({ status: 'READ', at: iso(e.receiptsSent.read) });
  const text = e.text ?? undefined;
  return {
    id: e.id,
    // fromMe: one of this account's linked devices (a WAGate session) sent it to someone else.
    direction: e.fromMe ? 'out' : 'in',
    from: numberOf(e.sender),
    to: e.fromMe ? numberOf(e.chat) : e.chat.endsWith('@g.us') ? e.chat : phone,
    type: typeOf(e.kind, e.message),
    ...(text === undefined ? {} : { text }),
    timestamp: iso(e.timestamp * 1000),
    receipts,
  };
}

function sentView(phone: string, e: SimSentEntry): SandboxPhoneMessage {
  // The earliest receipt of each kind from any of the recipient's devices.
  const first = (kind: 'delivery' | 'read') => {
    const times = Object.values(e.receipts).map((r) => r[kind]).filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  };
  const delivered = first('delivery');
  const read = first('read');
  const receipts: SandboxPhoneMessage['receipts'] = [];
  if (delivered !== undefined || read !== undefined) receipts.push({ status: 'DELIVERED', at: iso(delivered ?? read!) });
  if (read !== undefined) receipts.push({ status: 'READ', at: iso(read) });
  const text = textOf(e.message);
  return {
    id: e.id,
    direction: 'out',
    from: phone,
    to: numberOf(e.chat),
    type: typeOf(undefined, e.message),
    ...(text === undefined ? {} : { text }),
    timestamp: iso(e.timestamp * 1000),
    receipts,
  };
}

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ValidationError([{ path: 'query.cursor', message: 'Invalid cursor.' }]);
  return Number(m[1]);
}

export interface SandboxServiceDeps {
  phones: SandboxPhonesRepository;
  network: SandboxNetwork;
  /** Most virtual phones one user may hold (SANDBOX_PHONES_PER_USER). */
  phonesPerUser: number;
}

export function createSandboxService(deps: SandboxServiceDeps): SandboxService {
  const { phones, network, phonesPerUser } = deps;

  async function owned(userId: string, phoneNumber: string): Promise<string> {
    const digits = digitsOf(phoneNumber);
    if (!(await phones.findOwned(digits, userId))) throw new NotFoundError('Virtual phone');
    return digits;
  }

  // A count cap like sessions per tier: waiting does not help, so QUOTA_EXCEEDED rather than 429.
  const limitReached = () => new QuotaExceededError(`A user may hold at most ${phonesPerUser} virtual phones in the sandbox.`);

  return {
    async createPhone(userId, input) {
      if (input.phoneNumber === undefined) {
        // Checked before the simulator mints a number, so a user at the cap creates nothing there.
        // The insert checks again under a lock; only creates racing past this check can leave a
        // minted number unowned in the simulator (at most one per racing request, never a row).
        if ((await phones.countOwned(userId)) >= phonesPerUser) throw limitReached();
        const created = await network.createPhone(input.name === undefined ? {} : { pushName: input.name });
        const name = input.name ?? created.pushName;
        const outcome = await phones.insert({ phoneNumber: created.phone, userId, name }, phonesPerUser);
        if (outcome === 'limit') throw limitReached();
        if (outcome === 'taken') {
          // The simulator minted a number a stale row still claims (its state was reset): refuse rather than share it.
          throw new ConflictError(`Phone number ${created.phone} is already taken in the sandbox.`);
        }
        return { phoneNumber: created.phone, name };
      }
      const digits = digitsOf(input.phoneNumber);
      const name = input.name ?? `Sim ${digits.slice(-4)}`;
      // The row first: of two racing creates of one number, exactly one reaches the simulator.
      const outcome = await phones.insert({ phoneNumber: digits, userId, name }, phonesPerUser);
      if (outcome === 'limit') throw limitReached();
      if (outcome === 'taken') throw new ConflictError(`Phone number ${digits} is already taken in the sandbox.`);
      try {
        await network.createPhone({ phone: digits, pushName: name });
      } catch (error) {
        await phones.delete(digits);
        if (error instanceof AppError && error.code === 'UNPROCESSABLE') throw new ConflictError(`Phone number ${digits} is already taken in the sandbox.`);
        throw error;
      }
      return { phoneNumber: digits, name };
    },

    async listPhones(userId) {
      return (await phones.listOwned(userId)).map((row) => ({ phoneNumber: row.phoneNumber, name: row.name }));
    },

    async scan(userId, phoneNumber, qr) {
      await network.scan(await owned(userId, phoneNumber), qr);
    },

    async enterPairingCode(userId, phoneNumber, code) {
      await network.enterPairingCode(await owned(userId, phoneNumber), code);
    },

    async sendText(userId, phoneNumber, to, text) {
      const phone = await owned(userId, phoneNumber);
      return sentView(phone, await network.sendText(phone, digitsOf(to), text));
    },

    async messages(userId, phoneNumber, query) {
      const phone = await owned(userId, phoneNumber);
      const [inbox, sent] = await Promise.all([network.inbox(phone), network.sent(phone)]);
      const all = [...inbox.map((e) => inboxView(phone, e)), ...sent.map((e) => sentView(phone, e))].sort(
        (a, b) => b.timestamp.localeCompare(a.timestamp) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      );
      const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
      const data = all.slice(offset, offset + query.limit);
      return { data, nextCursor: offset + query.limit < all.length ? encodeCursor(offset + query.limit) : null };
    },

    async unlink(userId, phoneNumber, sessionPhoneNumber) {
      const phone = await owned(userId, phoneNumber);
      const wanted = digitsOf(sessionPhoneNumber);
      const devices = (await network.getPhone(phone)).companions.filter((c) => numberOf(c.jid) === wanted);
      if (devices.length === 0) throw new NotFoundError('Linked device');
      for (const device of devices) await network.unlink(phone, device.deviceId);
      return devices.length;
    },
  };
}
