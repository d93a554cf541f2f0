import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyMessageContent } from 'baileys';
import type { InboxEntry, SentEntry, VirtualPhone } from '../network/phone.js';
import { lidJid, pnJid } from '../network/jids.js';
import type { Simulator } from '../simulator.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
type Handler = (sim: Simulator, params: string[], body: Json, query: URLSearchParams) => Promise<unknown> | unknown;

const MAX_BODY = 25 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new HttpError(413, 'body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      if (chunks.length === 0) return resolve({});
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(typeof parsed === 'object' && parsed !== null ? (parsed as Json) : {});
      } catch {
        reject(new HttpError(400, 'body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** Bytes become base64 so decrypted protos survive JSON. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

function str(body: Json, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v.length === 0) throw new HttpError(400, `${key} is required`);
  return v;
}

function phoneOf(sim: Simulator, id: string | undefined): VirtualPhone {
  const phone = id === undefined ? undefined : sim.phones.get(id);
  if (phone === undefined) throw new HttpError(404, `unknown phone ${id ?? ''}`);
  return phone;
}

function phoneView(p: VirtualPhone): Json {
  return { phone: p.phone, jid: p.jid, lid: p.lid, lidJid: p.lidJid, pushName: p.pushName, companions: p.companions() };
}

function inboxView(e: InboxEntry): Json {
  return { ...e };
}

function sentView(e: SentEntry): Json {
  return { id: e.id, chat: e.chat, timestamp: e.timestamp, message: e.message, receipts: Object.fromEntries(e.receipts) };
}

/** Media in the control API: `{ type, base64, caption?, mimetype?, fileName?, ptt? }`. */
function mediaContent(media: Json): AnyMessageContent {
  const data = Buffer.from(str(media, 'base64'), 'base64');
  const caption = typeof media.caption === 'string' ? media.caption : undefined;
  const mimetype = typeof media.mimetype === 'string' ? media.mimetype : undefined;
  switch (media.type) {
    case 'image':
      return { image: data, ...(caption ? { caption } : {}), ...(mimetype ? { mimetype } : {}) };
    case 'video':
      return { video: data, ...(caption ? { caption } : {}), ...(mimetype ? { mimetype } : {}) };
    case 'audio':
      return { audio: data, ptt: media.ptt === true, mimetype: mimetype ?? 'audio/ogg; codecs=opus' };
    case 'document':
      return { document: data, mimetype: mimetype ?? 'application/octet-stream', fileName: typeof media.fileName === 'string' ? media.fileName : 'file', ...(caption ? { caption } : {}) };
    case 'sticker':
      return { sticker: data };
    default:
      throw new HttpError(400, 'media.type must be image, video, audio, document or sticker');
  }
}

const routes: [string, RegExp, Handler][] = [
  ['GET', /^\/control\/info$/, (sim) => ({ url: sim.url, rootPublicKey: Buffer.from(sim.rootPublicKey).toString('base64'), mediaCa: sim.mediaCa, mediaUrl: sim.mediaUrl })],
  [
    'GET',
    /^\/control\/stats$/,
    (sim) => {
      const mem = process.memoryUsage();
      return { rss: mem.rss, heapUsed: mem.heapUsed, phones: sim.phones.list().length, companions: sim.core.registry.allCompanions().length, live: sim.connections.live().length, connections: sim.core.connections.size, retries: { ...sim.core.decryptStats } };
    },
  ],
  ['GET', /^\/control\/phones$/, (sim) => sim.phones.list().map(phoneView)],
  [
    'POST',
    /^\/control\/phones$/,
    (sim, _p, body) =>
      phoneView(
        sim.phones.create({
          ...(typeof body.phone === 'string' ? { phone: body.phone } : {}),
          ...(typeof body.lid === 'string' ? { lid: body.lid } : {}),
          ...(typeof body.pushName === 'string' ? { pushName: body.pushName } : {}),
        }),
      ),
  ],
  ['GET', /^\/control\/phones\/([^/]+)$/, (sim, [id]) => phoneView(phoneOf(sim, id))],
  ['POST', /^\/control\/phones\/([^/]+)\/scan$/, (sim, [id], body) => sim.scan(phoneOf(sim, id), str(body, 'qr'))],
  ['POST', /^\/control\/phones\/([^/]+)\/pairing-code$/, (sim, [id], body) => sim.enterPairingCode(phoneOf(sim, id), str(body, 'code'))],
  [
    'POST',
    /^\/control\/phones\/([^/]+)\/messages$/,
    async (sim, [id], body) => {
      const phone = phoneOf(sim, id);
      const to = str(body, 'to');
      let sent: SentEntry;
      if (typeof body.text === 'string') sent = await phone.sendText(to, body.text);
      else if (typeof body.media === 'object' && body.media !== null) sent = await phone.send(to, mediaContent(body.media as Json));
      // Anything Baileys' generateWAMessageContent accepts, as JSON (no binary media).
      else if (typeof body.content === 'object' && body.content !== null) sent = await phone.send(to, body.content as AnyMessageContent);
      else throw new HttpError(400, 'one of text, media or content is required');
      return sentView(sent);
    },
  ],
  [
    'GET',
    /^\/control\/phones\/([^/]+)\/inbox$/,
    (sim, [id], _b, query) => {
      const since = Number(query.get('since') ?? 0);
      return phoneOf(sim, id)
        .inbox.filter((e) => e.timestamp >= since)
        .map(inboxView);
    },
  ],
  ['GET', /^\/control\/phones\/([^/]+)\/sent$/, (sim, [id]) => phoneOf(sim, id).sent.map(sentView)],
  [
    'POST',
    /^\/control\/phones\/([^/]+)\/inbox\/([^/]+)\/(read|delivered)$/,
    (sim, [id, msgId, what]) => {
      const phone = phoneOf(sim, id);
      if (what === 'read') phone.markRead(msgId!);
      else phone.markDelivered(msgId!);
      return { ok: true };
    },
  ],
  [
    'GET',
    /^\/control\/phones\/([^/]+)\/inbox\/([^/]+)\/media$/,
    async (sim, [id, msgId]) => {
      const phone = phoneOf(sim, id);
      const entry = phone.inbox.find((e) => e.id === msgId);
      if (entry === undefined) throw new HttpError(404, 'no such message');
      return { base64: (await phone.downloadMedia(entry)).toString('base64') };
    },
  ],
  [
    'DELETE',
    /^\/control\/phones\/([^/]+)\/devices\/(\d+)$/,
    (sim, [id, device]) => {
      sim.unlink(phoneOf(sim, id), Number(device));
      return { ok: true };
    },
  ],
  [
    'GET',
    /^\/control\/devices$/,
    (sim) =>
      sim.core.registry.allCompanions().map((d) => ({
        jid: pnJid(d.phone, d.deviceId),
        lid: lidJid(d.lid, d.deviceId),
        phone: d.phone,
        deviceId: d.deviceId,
        platform: d.platform,
        pairedAt: d.pairedAt,
        live: sim.connections.live().includes(`${d.phone}:${d.deviceId}`),
        pendingOffline: d.offline.length,
        preKeys: d.preKeys.size,
      })),
  ],
  [
    'GET',
    /^\/control\/connections$/,
    (sim, _p, _b, query) => {
      const device = query.get('device');
      const all = sim.connections.history();
      return { neverOverlapped: sim.connections.neverOverlapped(), connections: device === null ? all : all.filter((c) => c.device === device) };
    },
  ],
  [
    'POST',
    /^\/control\/faults$/,
    (sim, _p, body) => {
      const device = { phone: phoneOf(sim, str(body, 'phone')).phone, deviceId: Number(body.deviceId ?? 0) };
      const code = Number(body.code ?? 0);
      switch (body.action) {
        case 'drop':
          return { applied: sim.faults.drop(device) };
        case 'stream-error':
          return { applied: sim.faults.streamError(device, code) };
        case 'silence':
          return { applied: sim.faults.silence(device) };
        case 'fail-login':
          sim.faults.failNextLogin(device, code);
          return { applied: true };
        case 'corrupt-deliveries':
          sim.faults.corruptDeliveries(device, Number(body.count ?? 1));
          return { applied: true };
        case 'fail-decrypt':
          sim.faults.failDecrypt(device.phone, Number(body.count ?? 1));
          return { applied: true };
        case 'acks': {
          const mode = body.mode;
          if (mode === 'delay') sim.faults.acks(device, { mode, ms: Number(body.ms ?? 1000) });
          else if (mode === 'error') sim.faults.acks(device, { mode, code });
          else if (mode === 'refuse' || mode === 'normal') sim.faults.acks(device, { mode });
          else throw new HttpError(400, 'mode must be normal, delay, refuse or error');
          return { applied: true };
        }
        default:
          throw new HttpError(400, 'action must be drop, stream-error, silence, fail-login, fail-decrypt, corrupt-deliveries or acks');
      }
    },
  ],
  [
    'POST',
    /^\/control\/groups$/,
    (sim, _p, body) => {
      const creator = phoneOf(sim, str(body, 'creator'));
      const members = Array.isArray(body.members) ? body.members.filter((m): m is string => typeof m === 'string').map((m) => phoneOf(sim, m).phone) : [];
      const group = sim.groups.create(str(body, 'subject'), creator.phone, members);
      return { jid: group.jid, subject: group.subject, participants: group.participants };
    },
  ],
  [
    'POST',
    /^\/control\/save$/,
    async (sim) => {
      await sim.save();
      return { ok: true };
    },
  ],
];

/**
 * The HTTP control API (JSON), for separate-process tests and the gateway's sandbox endpoints.
 * It only ever listens where the simulator does (loopback by default) and has no auth.
 */
export function createControlApi(sim: Simulator): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body, replacer));
  };
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const route = routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname));
    if (route === undefined) return send(res, 404, { error: 'not found' });
    const params = (route[1].exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
    readBody(req)
      .then((body) => route[2](sim, params, body, url.searchParams))
      .then((result) => send(res, 200, result ?? { ok: true }))
      .catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 400;
        send(res, status, { error: err instanceof Error ? err.message : String(err) });
      });
  };
}
