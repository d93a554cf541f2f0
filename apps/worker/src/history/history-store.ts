import { randomBytes } from 'node:crypto';
import type { BlobStore } from '@wagate/storage';
import { LruMap } from '../cache/index.js';
import type { Keyring } from '../crypto/index.js';
import type { Logger } from '../logger.js';
import type { MessageStatusUpdate, WhatsAppMessage } from '../whatsapp/index.js';
import { advanceStatus, foldRecords } from './history-fold.js';
import type { HistoryRecord } from './history-fold.js';

export interface HistoryStoreOptions {
  blobs: BlobStore;
  keyring: Keyring;
  /** Longest a record waits in memory before its chunk is written. */
  flushIntervalMs?: number;
  /** Records buffered per session that trigger an immediate flush. */
  maxBuffered?: number;
  /** Recent messages kept in memory per session (for retries and replies). */
  recentPerSession?: number;
  logger?: Logger;
}

export interface HistoryQuery {
  /** Phone JID or LID of a chat (either alias matches), or a group JID. */
  chatId?: string;
  /** Inclusive lower bound, ms. Defaults to 7 days before `to`. */
  from?: number;
  /** Inclusive upper bound, ms. Defaults to now (plus five minutes of clock skew). */
  to?: number;
  limit?: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface HistoryPage {
  /** Newest first. */
  messages: WhatsAppMessage[];
  nextCursor: string | null;
}

const DAY_MS = 86_400_000;
const CLOCK_SKEW_MS = 5 * 60_000;
/** Longest range one query walks, so a request cannot make the worker read years of chunks. */
export const MAX_QUERY_DAYS = 31;
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface SessionBuffer {
  /** Pending records grouped by the day folder they belong to. */
  byDay: Map<string, HistoryRecord[]>;
  count: number;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void> | null;
  /** Records being written right now, still visible to reads. */
  writing: [string, HistoryRecord[]][];
  /** Reads in progress, and the batches written since the oldest of them began (see `#readDay`). */
  readers: number;
  written: [string, HistoryRecord[]][];
  recent: LruMap<string, WhatsAppMessage>;
  /** Statuses that arrived before their message (a receipt can beat `send()` returning). */
  early: LruMap<string, MessageStatusUpdate['status']>;
}

/**
 * Message history, append-only: each flush writes new immutable, encrypted chunk objects
 * `history/<sessionId>/<day>/<seq>.json` and never rewrites one, so two writers cannot lose each
 * other's records. Status changes are appended as records in the day of their message and
 * folded on read. Seqs start with the write time, so key order is append order.
 */
export class HistoryStore {
  readonly #blobs: BlobStore;
  readonly #keyring: Keyring;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #recentPerSession: number;
  readonly #logger: Logger | undefined;
  readonly #sessions = new Map<string, SessionBuffer>();
  #counter = 0;
  readonly #writer = randomBytes(3).toString('hex');

  constructor(options: HistoryStoreOptions) {
    this.#blobs = options.blobs;
    this.#keyring = options.keyring;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#maxBuffered = options.maxBuffered ?? 200;
    this.#recentPerSession = options.recentPerSession ?? 2000;
    this.#logger = options.logger;
  }

  /** Records messages (new or re-seen); they are readable at once and stored within the flush interval. */
  appendMessages(sessionId: string, messages: readonly WhatsAppMessage[]): void {
    const buffer = this.#buffer(sessionId);
    for (const message of messages) {
      const known = buffer.recent.get(message.id);
      const [merged] = foldRecords([{ kind: 'message', message }], new Map(known === undefined ? [] : [[message.id, known]])).values();
      const waiting = buffer.early.get(message.id);
      if (merged !== undefined) buffer.recent.set(message.id, waiting === undefined ? merged : { ...merged, status: advanceStatus(merged.status, waiting) });
      buffer.early.delete(message.id);
      this.#push(sessionId, buffer, dayOf(message.timestamp), { kind: 'message', message });
    }
  }

  /** Records status changes, in the day folder of their message when it is known (else today). */
  appendStatuses(sessionId: string, updates: readonly MessageStatusUpdate[]): void {
    const buffer = this.#buffer(sessionId);
    for (const update of updates) {
      const known = buffer.recent.get(update.id);
      if (known !== undefined) {
        const [merged] = foldRecords([{ kind: 'status', ...update }], new Map([[update.id, known]])).values();
        if (merged !== undefined) buffer.recent.set(update.id, merged);
      } else {
        buffer.early.set(update.id, advanceStatus(buffer.early.get(update.id), update.status));
      }
      const record: HistoryRecord = { kind: 'status', id: update.id, chatId: update.chatId, status: update.status, timestamp: update.timestamp };
      this.#push(sessionId, buffer, dayOf(known?.timestamp ?? update.timestamp), record);
    }
  }

  /** A message by id: from memory, else from the stored days around `hintMs` (today and yesterday). */
  async getMessage(sessionId: string, id: string, hintMs = Date.now()): Promise<WhatsAppMessage | undefined> {
    const cached = this.#sessions.get(sessionId)?.recent.get(id);
    if (cached !== undefined) return cached;
    for (const day of [dayOf(hintMs), dayOf(hintMs - DAY_MS)]) {
      const found = (await this.#readDay(sessionId, day)).get(id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Messages newest first, by chat and time, paged by cursor. */
  async query(sessionId: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    this.#assertSession(sessionId);
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    // Message times come from WhatsApp's clock, which may run ahead of ours: allow for the skew.
    let to = query.to ?? Date.now() + CLOCK_SKEW_MS;
    const from = Math.max(query.from ?? to - 7 * DAY_MS, to - MAX_QUERY_DAYS * DAY_MS);
    let after: { t: number; id: string } | undefined;
    if (query.cursor !== undefined) {
      after = decodeCursor(query.cursor);
      to = Math.min(to, after.t);
    }
    const out: WhatsAppMessage[] = [];
    for (let day = Date.parse(`${dayOf(to)}T00:00:00Z`); day >= Date.parse(`${dayOf(from)}T00:00:00Z`) && out.length <= limit; day -= DAY_MS) {
      const messages = [...(await this.#readDay(sessionId, dayOf(day))).values()]
        .filter((m) => m.timestamp >= from && m.timestamp <= to)
        .filter((m) => query.chatId === undefined || m.chatId === query.chatId || m.chatAliases.includes(query.chatId))
        .filter((m) => after === undefined || m.timestamp < after.t || (m.timestamp === after.t && m.id < after.id))
        .sort((a, b) => b.timestamp - a.timestamp || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
      out.push(...messages);
    }
    const page = out.slice(0, limit);
    const last = page[page.length - 1];
    return { messages: page, nextCursor: out.length > limit && last !== undefined ? encodeCursor({ t: last.timestamp, id: last.id }) : null };
  }

  /** Writes every buffered record of one session (or all). */
  async flush(sessionId?: string): Promise<void> {
    const ids = sessionId === undefined ? [...this.#sessions.keys()] : [sessionId];
    await Promise.all(ids.map((id) => this.#flushSession(id)));
  }

  /** Removes a session's history (session deleted). */
  async deleteSession(sessionId: string): Promise<void> {
    this.#assertSession(sessionId);
    const buffer = this.#sessions.get(sessionId);
    if (buffer?.timer != null) clearTimeout(buffer.timer);
    this.#sessions.delete(sessionId);
    await buffer?.flushing;
    await this.#blobs.deletePrefix(`history/${sessionId}/`);
  }

  /** Flushes and forgets a session's memory (session stopped or moved). */
  async release(sessionId: string): Promise<void> {
    await this.#flushSession(sessionId);
    const buffer = this.#sessions.get(sessionId);
    if (buffer !== undefined && buffer.count === 0) this.#sessions.delete(sessionId);
  }

  async close(): Promise<void> {
    await this.flush();
    for (const buffer of this.#sessions.values()) if (buffer.timer !== null) clearTimeout(buffer.timer);
    this.#sessions.clear();
  }

  #assertSession(sessionId: string): void {
    if (!SESSION_ID.test(sessionId)) throw new Error(`Invalid session id "${sessionId}".`);
  }

  #buffer(sessionId: string): SessionBuffer {
    let buffer = this.#sessions.get(sessionId);
    if (buffer === undefined) {
      this.#assertSession(sessionId);
      buffer = { byDay: new Map(), count: 0, timer: null, flushing: null, writing: [], readers: 0, written: [], recent: new LruMap(this.#recentPerSession), early: new LruMap(1000) };
      this.#sessions.set(sessionId, buffer);
    }
    return buffer;
  }

  #push(sessionId: string, buffer: SessionBuffer, day: string, record: HistoryRecord): void {
    const list = buffer.byDay.get(day) ?? [];
    list.push(record);
    buffer.byDay.set(day, list);
    buffer.count++;
    if (buffer.count >= this.#maxBuffered) {
      void this.#flushSession(sessionId).catch(() => undefined);
    } else if (buffer.timer === null) {
      buffer.timer = setTimeout(() => {
        buffer.timer = null;
        void this.#flushSession(sessionId).catch(() => undefined);
      }, this.#flushIntervalMs);
      buffer.timer.unref();
    }
  }

  async #flushSession(sessionId: string): Promise<void> {
    const buffer = this.#sessions.get(sessionId);
    if (buffer === undefined) return;
    // One flush at a time per session keeps chunk order equal to append order.
    while (buffer.flushing !== null) await buffer.flushing;
    if (buffer.count === 0) return;
    if (buffer.timer !== null) clearTimeout(buffer.timer);
    buffer.timer = null;
    const batches = [...buffer.byDay.entries()];
    buffer.byDay = new Map();
    buffer.count = 0;
    buffer.writing = batches;
    buffer.flushing = (async () => {
      const stamp = String(Date.now()).padStart(15, '0');
      for (const [day, records] of batches) {
        const seq = `${stamp}-${String(this.#counter++ % 1_000_000).padStart(6, '0')}-${this.#writer}`;
        const key = `history/${sessionId}/${day}/${seq}.json`;
        try {
          await this.#blobs.put(key, this.#keyring.seal(JSON.stringify({ v: 1, records }), key), { contentType: 'application/json' });
        } catch (error) {
          // Put the records back in front so the next flush writes them, order preserved.
          buffer.byDay.set(day, [...records, ...(buffer.byDay.get(day) ?? [])]);
          buffer.count += records.length;
          this.#logger?.error({ sessionId, err: error, records: records.length }, 'History chunk write failed; will retry');
          throw error;
        }
      }
    })();
    try {
      await buffer.flushing;
    } finally {
      buffer.flushing = null;
      // A read that listed the store before this chunk landed finds the records here instead.
      if (buffer.readers > 0) buffer.written.push(...batches);
      buffer.writing = [];
      if (buffer.count > 0 && buffer.timer === null) {
        buffer.timer = setTimeout(() => {
          buffer.timer = null;
          void this.#flushSession(sessionId).catch(() => undefined);
        }, this.#flushIntervalMs);
        buffer.timer.unref();
      }
    }
  }

  /**
   * Folds one day: stored chunks in key order, then what is still buffered. A flush that ends
   * while the store is being listed moves its records from the buffer to a chunk the listing may
   * have missed: those batches are kept in `written` while any read is in progress (a query once
   * missed a message that way).
   */
  async #readDay(sessionId: string, day: string): Promise<Map<string, WhatsAppMessage>> {
    // No buffer: nothing of this session is in memory (what is appended from now on is newer than this read).
    const buffer = this.#sessions.get(sessionId);
    if (buffer !== undefined) buffer.readers++;
    try {
      const prefix = `history/${sessionId}/${day}/`;
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.#blobs.list(prefix, cursor === undefined ? {} : { cursor });
        keys.push(...page.items.map((i) => i.key));
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
      const chunks = await Promise.all(
        keys.map(async (key) => {
          const blob = await this.#blobs.get(key);
          if (blob === null) return [];
          return (JSON.parse(this.#keyring.open(blob, key).toString('utf8')) as { records: HistoryRecord[] }).records;
        }),
      );
      const unlisted = buffer === undefined ? [] : [...buffer.written, ...buffer.writing].filter(([d]) => d === day).flatMap(([, records]) => records);
      // Folding is idempotent, so records read both from the store and from memory are harmless.
      return foldRecords([...chunks.flat(), ...unlisted, ...(buffer?.byDay.get(day) ?? [])]);
    } finally {
      if (buffer !== undefined && --buffer.readers === 0) buffer.written = [];
    }
  }
}

function encodeCursor(c: { t: number; id: string }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not valid.');
    this.name = 'InvalidCursorError';
  }
}

function decodeCursor(cursor: string): { t: number; id: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    if (typeof c.t === 'number' && typeof c.id === 'string') return { t: c.t, id: c.id };
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}
