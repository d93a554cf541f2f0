// The wa-sim control API (packages/wa-sim README, "HTTP control API") as a port. The gateway never
// imports the simulator: in `wagate dev` it runs in the same process, in split mode elsewhere, and
// either way it is reached over loopback HTTP.
import { AppError, NotFoundError, ServiceUnavailableError } from '@wagate/contracts';

export interface SimCompanion {
  jid: string;
  deviceId: number;
}

export interface SimPhone {
  phone: string;
  jid: string;
  pushName: string;
  companions: SimCompanion[];
}

/** What the phone received (decrypted). Times: `timestamp` in seconds, receipts in milliseconds. */
export interface SimInboxEntry {
  id: string;
  chat: string;
  sender: string;
  fromMe: boolean;
  kind?: string | null;
  text?: string | null;
  timestamp: number;
  receiptsSent: { delivery?: number; read?: number };
  /** The decrypted proto as JSON; only its top-level keys are read. */
  message?: Record<string, unknown> | null;
}

export interface SimSentEntry {
  id: string;
  chat: string;
  timestamp: number;
  message: Record<string, unknown>;
  /** Per receiving device JID; times in milliseconds. */
  receipts: Record<string, { delivery?: number; read?: number; played?: number }>;
}

export interface SandboxNetwork {
  createPhone(input: { phone?: string; pushName?: string }): Promise<SimPhone>;
  getPhone(phone: string): Promise<SimPhone>;
  scan(phone: string, qr: string): Promise<void>;
  enterPairingCode(phone: string, code: string): Promise<void>;
  sendText(phone: string, to: string, text: string): Promise<SimSentEntry>;
  inbox(phone: string): Promise<SimInboxEntry[]>;
  sent(phone: string): Promise<SimSentEntry[]>;
  unlink(phone: string, deviceId: number): Promise<void>;
}

export interface WaSimControlOptions {
  /** e.g. `http://127.0.0.1:7700/control`. */
  controlUrl: string;
  /** Scans and pairing wait for the link to complete; 30 s is generous on a loaded machine. */
  timeoutMs?: number;
}

/** wa-sim answers `{ error }` with 400/404/413; these become our own errors, never a 500. */
async function failure(res: Response, what: string): Promise<AppError> {
  let detail = `${what} failed.`;
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error.length > 0) detail = `${what} failed: ${body.error.slice(0, 300)}`;
  } catch {
    // no JSON body: keep the generic detail
  }
  if (res.status === 404) return new NotFoundError('Virtual phone');
  if (res.status >= 500) return new ServiceUnavailableError(`The sandbox network is unavailable (${what}).`);
  // The simulator refused a well-formed request: an unknown QR, a wrong pairing code, a taken number.
  return new AppError('UNPROCESSABLE', detail);
}

export function createWaSimControlClient(options: WaSimControlOptions): SandboxNetwork {
  const base = options.controlUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, what: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The sandbox network is unavailable.', { cause: error });
    }
    if (!res.ok) throw await failure(res, what);
    return (await res.json()) as T;
  }

  const at = (phone: string) => `/phones/${encodeURIComponent(phone)}`;

  return {
    createPhone: (input) => call<SimPhone>('POST', '/phones', 'Creating the phone', input),
    getPhone: (phone) => call<SimPhone>('GET', at(phone), 'Reading the phone'),
    async scan(phone, qr) {
      await call('POST', `${at(phone)}/scan`, 'Scanning the QR code', { qr });
    },
    async enterPairingCode(phone, code) {
      await call('POST', `${at(phone)}/pairing-code`, 'Entering the pairing code', { code });
    },
    sendText: (phone, to, text) => call<SimSentEntry>('POST', `${at(phone)}/messages`, 'Sending the message', { to, text }),
    inbox: (phone) => call<SimInboxEntry[]>('GET', `${at(phone)}/inbox`, 'Reading the inbox'),
    sent: (phone) => call<SimSentEntry[]>('GET', `${at(phone)}/sent`, 'Reading sent messages'),
    async unlink(phone, deviceId) {
      await call('DELETE', `${at(phone)}/devices/${deviceId}`, 'Unlinking the device');
    },
  };
}
