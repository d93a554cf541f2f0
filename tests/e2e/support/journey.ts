// The customer journey of issue 6, against a running gateway's public HTTP API only. The split
// (gateway + worker + wa-sim processes) and embedded (`wagate dev`) tests both run this function.
import { expect } from 'vitest';
import { until } from './processes.js';

export interface JourneyReport {
  /** Milliseconds per step, in order, so a slow step shows in the test output. */
  steps: [string, number][];
  sessionId: string;
  sessionPhone: string;
  sent: Record<string, string>;
}

interface Problem {
  code?: string;
  detail?: string;
}

type Json = Record<string, unknown>;

class Client {
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  with(headers: Record<string, string>): Client {
    return new Client(this.base, headers);
  }

  async call<T = Json>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...this.headers, ...extra, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // bytes (media) stay text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** Fails with the answer when the status is not the expected one. */
  async expect<T = Json>(status: number, method: string, path: string, body?: unknown, extra?: Record<string, string>): Promise<T> {
    const res = await this.call<T>(method, path, body, extra);
    if (res.status !== status) throw new Error(`${method} ${path} → ${res.status}, expected ${status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}


const digits = (phone: string | null | undefined) => (phone ?? '').replace(/\D/g, '');

// Small but well-formed enough payloads: WhatsApp (and wa-sim) carry the bytes encrypted, unread.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const bytes = (label: string) => Buffer.from(`${label} `.repeat(64)).toString('base64');

interface SessionView {
  id: string;
  status: string;
  phoneNumber: string | null;
}

interface MessageView {
  id: string;
  type: string;
  status: string;
  fromMe: boolean;
  text?: string;
  chatId: string;
}

interface PhoneMessage {
  id: string;
  direction: 'in' | 'out';
  type: string;
  text?: string;
  from: string;
  receipts: { status: string }[];
}

/**
 * register → session → connect → QR → a virtual phone scans → CONNECTED with its number → every
 * message type → the recipient phone decrypts each → READ → the phone replies → history both ways
 * → disconnect → reconnect without QR → logout → QR needed again → relink → the phone unlinks it.
 */
export async function runJourney(baseUrl: string, label: string): Promise<JourneyReport> {
  const steps: [string, number][] = [];
  let mark = Date.now();
  const step = (name: string) => {
    const now = Date.now();
    steps.push([name, now - mark]);
    mark = now;
  };
  const anon = new Client(baseUrl);

  // Register and declare a session: the first API key comes with it.
  const email = `journey-${label}-${Date.now().toString(36)}@example.test`;
  const registered = await anon.expect<{ token: string }>(201, 'POST', '/api/v1/auth/register', { email, password: 'journey-password-1' });
  const user = anon.with({ authorization: `Bearer ${registered.token}` });
  const created = await user.expect<{ session: SessionView; apiKey: { key: string } }>(201, 'POST', '/api/v1/sessions', { name: `journey ${label}` });
  const sessionId = created.session.id;
  expect(created.session.status).toBe('DISCONNECTED');
  const api = anon.with({ 'x-api-key': created.apiKey.key });
  step('register and create session');

  // Two virtual phones: the owner links the session as a device; Alice talks to it.
  const owner = (await user.expect<{ phone: { phoneNumber: string } }>(201, 'POST', '/api/v1/sandbox/phones', { name: 'Owner' })).phone.phoneNumber;
  const alice = (await user.expect<{ phone: { phoneNumber: string } }>(201, 'POST', '/api/v1/sandbox/phones', { name: 'Alice' })).phone.phoneNumber;

  // Sending before the session is connected is refused.
  const early = await api.call<Problem>('POST', '/api/v1/messages', { to: `+${alice}`, text: 'too early' });
  expect(early.status).toBe(409);
  expect(early.body.code).toBe('SESSION_NOT_CONNECTED');

  await user.expect(202, 'POST', `/api/v1/sessions/${sessionId}/connect`, {});
  const qr = await until(async () => {
    const res = await user.call<{ qr: string; image: string }>('GET', `/api/v1/sessions/${sessionId}/qr`);
    return res.status === 200 ? res.body : undefined;
  }, 'a QR code');
  expect(qr.image).toMatch(/^data:image\/png;base64,/);
  step('connect until QR');

  await user.expect(200, 'POST', `/api/v1/sandbox/phones/${owner}/scan`, { qr: qr.qr });
  const connected = await until(async () => {
    const { session } = await api.expect<{ session: SessionView }>(200, 'GET', '/api/v1/session');
    return session.status === 'CONNECTED' ? session : undefined;
  }, 'CONNECTED after the scan');
  expect(digits(connected.phoneNumber)).toBe(owner);
  step('scan until CONNECTED');

  const checked = await api.expect<{ results: { phone: string; exists: boolean }[] }>(200, 'POST', '/api/v1/contacts/check', { phones: [`+${alice}`, '+15559999999'] });
  expect(checked.results.map((r) => r.exists)).toEqual([true, false]);

  // Every message type, each through the public API with an Idempotency-Key.
  const to = `+${alice}`;
  const sent: Record<string, string> = {};
  const send = async (name: string, body: Json): Promise<MessageView> => {
    const { message } = await api.expect<{ message: MessageView }>(202, 'POST', '/api/v1/messages', { to, ...body }, { 'idempotency-key': `${label}-${name}` });
    sent[name] = message.id;
    return message;
  };
  const first = await send('text', { text: 'hello from the journey' });
  const replay = await api.call<{ message: MessageView }>('POST', '/api/v1/messages', { to, text: 'hello from the journey' }, { 'idempotency-key': `${label}-text` });
  expect(replay.status).toBe(202);
  expect(replay.body.message.id).toBe(first.id);
  const reused = await api.call<Problem>('POST', '/api/v1/messages', { to, text: 'another body' }, { 'idempotency-key': `${label}-text` });
  expect(reused.status).toBe(422);

  await send('image', { type: 'image', media: { base64: PNG, mimetype: 'image/png', caption: 'an image' } });
  await send('video', { type: 'video', media: { base64: bytes('video'), mimetype: 'video/mp4', caption: 'a video' } });
  await send('audio', { type: 'audio', media: { base64: bytes('audio'), mimetype: 'audio/mpeg' } });
  await send('voice', { type: 'audio', ptt: true, media: { base64: bytes('voice'), mimetype: 'audio/ogg; codecs=opus' } });
  await send('document', { type: 'document', media: { base64: bytes('pdf'), mimetype: 'application/pdf', filename: 'invoice.pdf', caption: 'a document' } });
  await send('sticker', { type: 'sticker', media: { base64: bytes('webp'), mimetype: 'image/webp' } });
  await send('location', { type: 'location', location: { latitude: -6.2, longitude: 106.816666, name: 'Jakarta' } });
  await send('contact', { type: 'contact', contact: { name: 'Bob Builder', phone: '+15550009999' } });
  await send('poll', { type: 'poll', poll: { name: 'Lunch?', options: ['nasi goreng', 'sate'] } });
  await send('reply', { text: 'a reply', replyTo: first.id });
  await send('mentions', { text: `hi @${alice}`, mentions: [to] });
  await send('reaction', { type: 'reaction', reaction: { messageId: first.id, emoji: '👍' } });
  await send('edit', { type: 'edit', edit: { messageId: first.id, text: 'hello, edited' } });
  const doomed = await send('doomed', { text: 'to be deleted' });
  await send('delete', { type: 'delete', delete: { messageId: doomed.id } });
  step('send every type');

  // Alice's phone decrypts each one, as the type it was sent as.
  const expected: Record<string, string> = {
    text: 'text', image: 'image', video: 'video', audio: 'audio', voice: 'audio', document: 'document', sticker: 'sticker',
    location: 'location', contact: 'contact', poll: 'poll', reply: 'text', mentions: 'text', reaction: 'reaction', edit: 'edit',
    doomed: 'text', delete: 'delete',
  };
  const inbox = await until(async () => {
    const { data } = await user.expect<{ data: PhoneMessage[] }>(200, 'GET', `/api/v1/sandbox/phones/${alice}/messages?limit=100`);
    const received = new Map(data.filter((m) => m.direction === 'in').map((m) => [m.id, m]));
    return Object.values(sent).every((id) => received.has(id)) ? received : undefined;
  }, "every message in Alice's phone");
  for (const [name, id] of Object.entries(sent)) expect(`${name}: ${inbox.get(id)!.type}`).toBe(`${name}: ${expected[name]}`);
  expect(inbox.get(sent.text!)!.text).toBe('hello from the journey');
  expect(inbox.get(sent.edit!)!.text).toBe('hello, edited');
  expect(inbox.get(sent.image!)!.text).toBe('an image');
  step('phone decrypts each');

  // Receipts flow back: content messages reach READ.
  const content = ['text', 'image', 'video', 'audio', 'voice', 'document', 'sticker', 'location', 'contact', 'poll', 'reply', 'mentions'];
  // One list call per poll, not one per message: the journey stays far below the per-IP limit.
  await until(async () => {
    const { data } = await api.expect<{ data: MessageView[] }>(200, 'GET', `/api/v1/messages?chatId=${encodeURIComponent(to)}&limit=100`);
    const status = new Map(data.map((m) => [m.id, m.status]));
    return content.every((name) => status.get(sent[name]!) === 'READ');
  }, 'every content message READ');
  const { message: read } = await api.expect<{ message: MessageView }>(200, 'GET', `/api/v1/messages/${sent.text}`);
  expect(read.status).toBe('READ');
  step('statuses reach READ');

  // Alice replies; the history shows both directions.
  await user.expect(202, 'POST', `/api/v1/sandbox/phones/${alice}/messages`, { to: owner, text: 'hi back from Alice' });
  const history = await until(async () => {
    const { data } = await api.expect<{ data: MessageView[] }>(200, 'GET', `/api/v1/messages?chatId=${encodeURIComponent(to)}&limit=100`);
    return data.some((m) => !m.fromMe && m.text === 'hi back from Alice') ? data : undefined;
  }, 'the reply in the history');
  expect(history.some((m) => m.fromMe && m.id === sent.reply)).toBe(true);
  const dashboard = await user.expect<{ data: MessageView[] }>(200, 'GET', `/api/v1/sessions/${sessionId}/messages?limit=100`);
  expect(dashboard.data.some((m) => !m.fromMe && m.text === 'hi back from Alice')).toBe(true);
  const image = await fetch(`${baseUrl}/api/v1/messages/${sent.image}/media`, { headers: { 'x-api-key': created.apiKey.key } });
  expect(image.status).toBe(200);
  expect(image.headers.get('content-type')).toContain('image/png');
  expect(Buffer.from(await image.arrayBuffer()).equals(Buffer.from(PNG, 'base64'))).toBe(true);
  step('reply and history');

  // Disconnect keeps the credentials: connecting again needs no QR.
  await user.expect(202, 'POST', `/api/v1/sessions/${sessionId}/disconnect`);
  await until(async () => (await api.expect<{ session: SessionView }>(200, 'GET', '/api/v1/session')).session.status === 'DISCONNECTED', 'DISCONNECTED');
  await user.expect(202, 'POST', `/api/v1/sessions/${sessionId}/connect`, {});
  let sawQr = false;
  await until(async () => {
    const { session } = await api.expect<{ session: SessionView }>(200, 'GET', '/api/v1/session');
    if (session.status === 'QR_READY') sawQr = true;
    return session.status === 'CONNECTED';
  }, 'CONNECTED again without a scan');
  expect(sawQr).toBe(false);
  step('disconnect and reconnect without QR');

  // Logout unlinks the device: the phone no longer lists it, and the next connect needs a QR.
  await user.expect(202, 'POST', `/api/v1/sessions/${sessionId}/logout`);
  await until(async () => (await api.call<{ session: SessionView }>('GET', '/api/v1/session')).body.session?.status === 'LOGGED_OUT', 'LOGGED_OUT');
  const unlinkAfterLogout = await user.call<Problem>('POST', `/api/v1/sandbox/phones/${owner}/unlink`, { sessionPhoneNumber: owner });
  expect(unlinkAfterLogout.status).toBe(404);
  await user.expect(202, 'POST', `/api/v1/sessions/${sessionId}/connect`, {});
  const again = await until(async () => {
    const res = await user.call<{ qr: string }>('GET', `/api/v1/sessions/${sessionId}/qr`);
    return res.status === 200 ? res.body : undefined;
  }, 'a new QR after logout');
  step('logout and QR again');

  // Linked once more, then the phone removes the device itself: the session ends logged out.
  await user.expect(200, 'POST', `/api/v1/sandbox/phones/${owner}/scan`, { qr: again.qr });
  await until(async () => (await api.expect<{ session: SessionView }>(200, 'GET', '/api/v1/session')).session.status === 'CONNECTED', 'CONNECTED after the second scan');
  const unlinked = await user.expect<{ unlinked: number }>(200, 'POST', `/api/v1/sandbox/phones/${owner}/unlink`, { sessionPhoneNumber: `+${owner}` });
  expect(unlinked.unlinked).toBe(1);
  await until(async () => (await api.call<{ session: SessionView }>('GET', '/api/v1/session')).body.session?.status === 'LOGGED_OUT', 'LOGGED_OUT after the phone unlinked it');
  step('relink and unlink from the phone');

  return { steps, sessionId, sessionPhone: owner, sent };
}

/** Kept for callers written before `freePort()` moved below the ephemeral range. */
export { freePort as freeFixedPort } from './processes.js';
