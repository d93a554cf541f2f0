import { randomInt } from 'node:crypto';
import pino from 'pino';
import type { Logger } from 'pino';
import { SimCore } from './core/sim-core.js';
import type { PairedDevice } from './flows/qr-pairing.js';
import { createFaults } from './faults/faults.js';
import type { Faults } from './faults/faults.js';
import { startMediaHost } from './media/media-host.js';
import type { MediaHost } from './media/media-host.js';
import { lidJid, normalizePhone, pnJid } from './network/jids.js';
import type { ConnectionRecord } from './network/device-registry.js';
import { VirtualPhone } from './network/phone.js';
import type { ReceiptDelays } from './network/phone-network.js';
import { PhoneSignal } from './network/phone-signal.js';
import { createServerPki, resolveRootKeyPair } from './pki/test-pki.js';
import type { KeyPair } from './pki/test-pki.js';
import { startWaServer } from './server/wa-server.js';
import { createControlApi } from './control/control-api.js';
import { loadState, saveState } from './control/state-store.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** `'test'` = the fixed TEST_ROOT_KEY_PAIR; default = a fresh random root. */
  rootKeyPair?: 'test' | KeyPair;
  /** Directory to load state from at start and save it to at close (and on `save()`). */
  dataDir?: string;
  receiptDelays?: Partial<ReceiptDelays>;
  /** Port of the HTTPS media host (default 0 = random). */
  mediaPort?: number;
  logger?: Logger;
  /** Level of the default logger (JSON on stdout) when no `logger` is given; default silent. */
  logLevel?: string;
}

export interface CreatePhoneOptions {
  phone?: string;
  lid?: string;
  pushName?: string;
}

export interface Simulator {
  /** `ws://HOST:PORT/ws/chat`, for Baileys' `waWebSocketUrl`. */
  url: string;
  /** The root public key a sandbox worker puts into `WA_CERT_DETAILS.PUBLIC_KEY`. */
  rootPublicKey: Uint8Array;
  /** PEM of the media host's certificate, to trust as an extra CA. */
  mediaCa: string;
  mediaUrl: string;
  /** Base URL of the HTTP control API. */
  controlUrl: string;
  phones: {
    create(options?: CreatePhoneOptions): VirtualPhone;
    get(phoneOrJid: string): VirtualPhone | undefined;
    list(): VirtualPhone[];
  };
  /** Scan a QR (as shown by Baileys) with a phone; resolves once the companion signed. */
  scan(phone: VirtualPhone, qr: string): Promise<PairedDevice>;
  enterPairingCode(phone: VirtualPhone, code: string): Promise<PairedDevice>;
  /** Unlink a companion from the phone (`<stream:error code=401><conflict type=device_removed/>`). */
  unlink(phone: VirtualPhone, deviceId: number): void;
  faults: Faults;
  connections: {
    /** Every connection ever made, with open/close times and the device it logged in as. */
    history(): ConnectionRecord[];
    /** Devices (`phone:device`) with a live socket now. */
    live(): string[];
    /** True if no device ever had two sockets logged in at once. */
    neverOverlapped(): boolean;
  };
  groups: SimCore['groups'];
  core: SimCore;
  save(): Promise<void>;
  close(): Promise<void>;
}

let phoneCounter = 0;

export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? pino({ level: options.logLevel ?? 'silent' });
  const pki = createServerPki(resolveRootKeyPair(options.rootKeyPair));
  const core = new SimCore(pki, logger, { delivery: 0, read: 50, ...options.receiptDelays });
  const lidForPn = (pns: string[]): { pn: string; lid: string }[] =>
    pns.flatMap((pn) => {
      const phone = normalizePhone(pn);
      const lid = core.registry.lidOf(phone);
      return lid === undefined ? [] : [{ pn: pnJid(phone), lid: lidJid(lid) }];
    });

  const createPhone = (o: CreatePhoneOptions = {}, signal?: PhoneSignal): VirtualPhone => {
    phoneCounter += 1;
    const phone = normalizePhone(o.phone ?? `1555${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(4, '0')}`);
    if (core.phones.has(phone)) throw new Error(`phone ${phone} already exists`);
    const lid = o.lid ?? `${randomInt(10 ** 13, 10 ** 14 - 1)}`;
    const vp = new VirtualPhone({ phone, lid, pushName: o.pushName ?? `Sim ${phone.slice(-4)}` }, signal ?? PhoneSignal.create(logger.child({ phone }), lidForPn), core);
    core.registry.registerAccount(phone, lid);
    core.phones.set(phone, vp);
    return vp;
  };

  const media: MediaHost = await startMediaHost({ host, port: options.mediaPort ?? 0, logger });
  core.media = { hostname: `${media.hostname}:${media.port}`, auth: media.auth };
  core.mediaStore = {
    put: (body, path) => media.put(body, path),
    get: (pathOrUrl) => media.blobs.get((pathOrUrl.startsWith('https://') ? new URL(pathOrUrl).pathname : pathOrUrl).split('?')[0]!),
  };
  // The HTTP server starts before the API object exists; requests wait for nothing (tiny window).
  const control: { handler: ReturnType<typeof createControlApi> | undefined } = { handler: undefined };
  const server = await startWaServer(core, { host, port: options.port ?? 0, onRequest: (req, res) => (control.handler === undefined ? res.writeHead(503).end() : control.handler(req, res)) });
  const base = `${host}:${server.port}`;

  const sim: Simulator = {
    url: `ws://${base}/ws/chat`,
    rootPublicKey: pki.rootPublicKey,
    mediaCa: media.certPem,
    mediaUrl: `https://${media.hostname}:${media.port}`,
    controlUrl: `http://${base}/control`,
    phones: {
      create: (o) => createPhone(o),
      get: (p) => core.phones.get(normalizePhone(p)) ?? [...core.phones.values()].find((x) => x.lid === normalizePhone(p)),
      list: () => [...core.phones.values()],
    },
    scan: (phone, qr) => core.scan(phone.phone, qr),
    enterPairingCode: (phone, code) => core.enterPairingCode(phone.phone, code),
    unlink: (phone, deviceId) => core.unlink(phone.phone, deviceId),
    faults: createFaults(core),
    connections: {
      history: () => core.registry.connections.map((c) => ({ ...c })),
      live: () => [...core.live.keys()],
      neverOverlapped: () => {
        const byDevice = new Map<string, ConnectionRecord[]>();
        for (const c of core.registry.connections) if (c.device !== undefined && c.loggedInAt !== undefined) byDevice.set(c.device, [...(byDevice.get(c.device) ?? []), c]);
        for (const list of byDevice.values()) {
          const sorted = [...list].sort((a, b) => a.loggedInAt! - b.loggedInAt!);
          for (let i = 1; i < sorted.length; i++) if ((sorted[i - 1]!.closedAt ?? Infinity) > sorted[i]!.loggedInAt!) return false;
        }
        return true;
      },
    },
    groups: core.groups,
    core,
    save: async () => {
      if (options.dataDir !== undefined) await saveState(core, options.dataDir);
    },
    close: async () => {
      if (options.dataDir !== undefined) await saveState(core, options.dataDir);
      await server.close();
      await media.close();
    },
  };
  control.handler = createControlApi(sim);
  if (options.dataDir !== undefined) await loadState(core, options.dataDir, (o, s) => createPhone(o, s), lidForPn);
  return sim;
}
