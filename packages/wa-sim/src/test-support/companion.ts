import { Browsers, initAuthCreds, makeCacheableSignalKeyStore, makeWASocket } from 'baileys';
import type { AuthenticationCreds, BaileysEventMap, ConnectionState, UserFacingSocketConfig, WAMessage, WASocket } from 'baileys';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { useSimulatorTrust } from '../../../../apps/worker/src/whatsapp/baileys/sandbox-trust.js';
import type { MediaTrust } from '../../../../apps/worker/src/whatsapp/baileys/sandbox-trust.js';
import { MemoryKeyStore } from '../network/memory-key-store.js';
import type { VirtualPhone } from '../network/phone.js';
import { createSimulator } from '../simulator.js';
import type { Simulator } from '../simulator.js';

const silent = pino({ level: 'silent' });

// libsignal prints "Closing session" and friends straight to the console; tests stay quiet.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  // eslint-disable-next-line no-console -- silencing libsignal, not printing
  console[method] = () => undefined;
}

export interface CompanionAuth {
  creds: AuthenticationCreds;
  keys: MemoryKeyStore;
}

export function freshAuth(): CompanionAuth {
  return { creds: initAuthCreds(), keys: new MemoryKeyStore() };
}

export interface CloseInfo {
  statusCode: number | undefined;
  message: string | undefined;
}

/** One Baileys socket against the simulator, with its events recorded for assertions. */
export class Companion {
  readonly sock: WASocket;
  readonly qrs: string[] = [];
  readonly upserts: { type: string; messages: WAMessage[] }[] = [];
  readonly updates: BaileysEventMap['messages.update'] = [];
  readonly receipts: BaileysEventMap['message-receipt.update'] = [];
  readonly groupEvents: unknown[] = [];
  opened = false;
  closed: CloseInfo | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(
    readonly sim: Simulator,
    readonly auth: CompanionAuth,
    readonly trust: MediaTrust,
    config: Partial<UserFacingSocketConfig> = {},
  ) {
    this.sock = makeWASocket({
      waWebSocketUrl: sim.url,
      auth: { creds: auth.creds, keys: makeCacheableSignalKeyStore(auth.keys, silent) },
      logger: silent,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      browser: Browsers.ubuntu('WAGate'),
      fetchAgent: trust.fetchAgent,
      connectTimeoutMs: 5000,
      defaultQueryTimeoutMs: 5000,
      ...config,
    });
    const ev = this.sock.ev;
    ev.on('creds.update', (update) => Object.assign(auth.creds, update));
    ev.on('connection.update', (u: Partial<ConnectionState>) => {
      if (u.qr !== undefined) this.qrs.push(u.qr);
      if (u.connection === 'open') this.opened = true;
      if (u.connection === 'close') {
        const err = u.lastDisconnect?.error as (Error & { output?: { statusCode?: number } }) | undefined;
        this.closed = { statusCode: err?.output?.statusCode, message: err?.message };
      }
      this.#notify();
    });
    ev.on('messages.upsert', (u) => {
      this.upserts.push({ type: u.type, messages: u.messages });
      this.#notify();
    });
    ev.on('messages.update', (u) => {
      this.updates.push(...u);
      this.#notify();
    });
    ev.on('message-receipt.update', (u) => {
      this.receipts.push(...u);
      this.#notify();
    });
    ev.on('groups.upsert', (g) => {
      this.groupEvents.push(...g);
      this.#notify();
    });
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Polls `check` on every event until it returns a value (or times out). */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value !== undefined && value !== false) {
          cleanup();
          resolve(value);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      // Also poll: some conditions change on the simulator side, not through a Baileys event.
      const poll = setInterval(() => void attempt(), 20);
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#waiters.delete(waiter);
      };
      const waiter = (): void => void attempt();
      this.#waiters.add(waiter);
      attempt();
    });
  }

  waitForQr(index = 0): Promise<string> {
    return this.waitFor(() => this.qrs[index], 5000, `qr #${index}`);
  }

  waitForOpen(): Promise<true> {
    return this.waitFor(() => this.opened || (this.closed ? (() => { throw new Error(`closed ${this.closed?.statusCode}`); })() : undefined), 8000, 'open');
  }

  waitForClose(timeoutMs = 8000): Promise<CloseInfo> {
    return this.waitFor(() => this.closed, timeoutMs, 'close');
  }

  /** Received (not from me) messages with this text or matching predicate. */
  waitForIncoming(predicate: (m: WAMessage) => boolean, timeoutMs = 5000): Promise<WAMessage> {
    return this.waitFor(() => this.upserts.flatMap((u) => u.messages).find((m) => !m.key.fromMe && predicate(m)), timeoutMs, 'incoming message');
  }

  /**
   * Highest status seen for an own message: Baileys reports it as messages.update, or folds it
   * into the message upsert when both sit in the same event buffer.
   */
  statusOf(id: string | null | undefined): number | undefined {
    const statuses = [
      ...this.updates.filter((u) => u.key.id === id).map((u) => u.update.status),
      ...this.upserts.flatMap((u) => u.messages).filter((m) => m.key.id === id).map((m) => m.status),
    ].filter((s): s is number => typeof s === 'number');
    return statuses.length === 0 ? undefined : Math.max(...statuses);
  }

  end(): void {
    this.sock.end(undefined);
  }
}

export interface SimTestContext {
  trust: MediaTrust;
  companions: Companion[];
  connect(auth?: CompanionAuth, config?: Partial<UserFacingSocketConfig>): Companion;
  closeAll(): void;
}

export function companionFactory(sim: Simulator): SimTestContext {
  const trust = useSimulatorTrust({ rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa });
  const companions: Companion[] = [];
  return {
    trust,
    companions,
    connect: (auth = freshAuth(), config = {}) => {
      const c = new Companion(sim, auth, trust, config);
      companions.push(c);
      return c;
    },
    closeAll: () => {
      for (const c of companions) c.end();
      companions.length = 0;
    },
  };
}

/**
 * The whole QR dance: socket → QR → phone scans → 515 → a second socket logs in and opens.
 * Returns the open companion (the second socket) and its auth.
 */
export async function pairWithQr(sim: Simulator, ctx: SimTestContext, phone: VirtualPhone, config: Partial<UserFacingSocketConfig> = {}): Promise<{ companion: Companion; auth: CompanionAuth; deviceId: number; first: Companion }> {
  const auth = freshAuth();
  const first = ctx.connect(auth, config);
  const qr = await first.waitForQr();
  const paired = await phone.scan(qr);
  const closed = await first.waitForClose();
  if (closed.statusCode !== 515) throw new Error(`expected 515 restart, got ${closed.statusCode}`);
  const companion = ctx.connect(auth, config);
  await companion.waitForOpen();
  return { companion, auth, deviceId: paired.deviceId, first };
}

/**
 * A fresh test-root simulator and companion factory for every test, closed after it; `use` hands
 * them to the test file's variables.
 */
export function useSimulatorPerTest(use: (sim: Simulator, ctx: SimTestContext) => void): void {
  let current: { sim: Simulator; ctx: SimTestContext } | undefined;
  beforeEach(async () => {
    const sim = await createSimulator({ rootKeyPair: 'test' });
    current = { sim, ctx: companionFactory(sim) };
    use(current.sim, current.ctx);
  });
  afterEach(async () => {
    current?.ctx.closeAll();
    await current?.sim.close();
    current = undefined;
  });
}
