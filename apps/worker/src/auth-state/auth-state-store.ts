import type { BlobStore } from '@wagate/storage';
import type { Keyring } from '../crypto/index.js';
import type { Logger } from '../logger.js';
import { LruMap } from '../cache/index.js';
import { KEYS_PER_SHARD, PACKED_TYPES, authPaths, encodeKeyId, parseShard } from './auth-paths.js';
import { LatestValueWriter } from './latest-value-writer.js';
import { StaleEpochError } from './stale-epoch-error.js';

export { StaleEpochError } from './stale-epoch-error.js';
export { authPaths, encodeKeyId } from './auth-paths.js';

/** One Signal key change; `value: null` deletes the key. Values are already serialized text. */
export interface KeyChange {
  type: string;
  id: string;
  value: string | null;
}

export interface AuthStateStoreOptions {
  blobs: BlobStore;
  keyring: Keyring;
  sessionId: string;
  /** The session's placement epoch; a marker with a higher one fences this store. */
  epoch: number;
  workerId: string;
  /** Upper bound a key write waits so concurrent `setKeys` calls share one flush. */
  flushDelayMs?: number;
  /** Decoded key values (and known misses) kept in memory. */
  cacheSize?: number;
  /** Parallel blob writes per flush (S3 is latency-bound, a filesystem is not). */
  writeConcurrency?: number;
  logger?: Logger;
  /** Called once when a write finds a newer epoch; the owner should stop the session. */
  onFenced?: (error: StaleEpochError) => void;
}

export interface AuthStateStats {
  credsWrites: number;
  keyFlushes: number;
  /** Key objects written (a shard counts once). */
  keysWritten: number;
  keysDeleted: number;
  /** Longest time a key change waited before its flush began (the measured batch bound). */
  maxBatchWaitMs: number;
  blobReads: number;
}

/** See `AuthStateStore.setBatchGuard`: resolves when a batch may be taken, with its release. */
export type BatchGuard = () => Promise<() => void>;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MISSING = Symbol('missing');

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Encrypted, fenced persistence of one session's credentials and Signal keys. Knows nothing of
 * Baileys: values are text the caller serialized. Creds writes are coalesced (latest wins, one in
 * flight); key writes are batched for at most `flushDelayMs` (or until the flush in flight ends).
 *
 * Fencing: the epoch marker is read before every flush. Remaining race: a flush that passed the
 * check may still land after a newer owner wrote its marker (one flush duration, typically a
 * few ms on a filesystem, tens of ms on S3). The gateway closes it by granting a session to a new
 * worker only after the old worker's lease has expired, and the worker stops its sessions when it
 * cannot renew that lease.
 */
export class AuthStateStore {
  readonly sessionId: string;
  readonly epoch: number;
  readonly paths: ReturnType<typeof authPaths>;
  readonly #blobs: BlobStore;
  readonly #keyring: Keyring;
  readonly #workerId: string;
  readonly #flushDelayMs: number;
  readonly #writeConcurrency: number;
  readonly #logger: Logger | undefined;
  readonly #onFenced: ((error: StaleEpochError) => void) | undefined;
  readonly #cache: LruMap<string, string | typeof MISSING>;

  #fenced: StaleEpochError | null = null;
  #closed = false;

  readonly #creds: LatestValueWriter;

  #pending = new Map<string, KeyChange & { since: number }>();
  #inflight = new Map<string, string | null>();
  #keyWaiters: Waiter[] = [];
  #keyTimer: NodeJS.Timeout | null = null;
  #keyLoop: Promise<void> | null = null;
  #batchGuard: BatchGuard | null = null;
  /** Serialises shard read-modify-writes. */
  #packLock: Promise<void> = Promise.resolve();

  readonly stats: AuthStateStats = { credsWrites: 0, keyFlushes: 0, keysWritten: 0, keysDeleted: 0, maxBatchWaitMs: 0, blobReads: 0 };

  constructor(options: AuthStateStoreOptions) {
    if (!SESSION_ID.test(options.sessionId)) throw new Error(`Invalid session id "${options.sessionId}".`);
    if (!Number.isSafeInteger(options.epoch) || options.epoch < 0) throw new Error(`Invalid epoch ${options.epoch}.`);
    this.sessionId = options.sessionId;
    this.epoch = options.epoch;
    this.paths = authPaths(options.sessionId);
    this.#blobs = options.blobs;
    this.#keyring = options.keyring;
    this.#workerId = options.workerId;
    this.#flushDelayMs = options.flushDelayMs ?? 50;
    this.#writeConcurrency = options.writeConcurrency ?? 16;
    this.#logger = options.logger;
    this.#onFenced = options.onFenced;
    this.#cache = new LruMap(options.cacheSize ?? 5000);
    this.#creds = new LatestValueWriter(async (text) => {
      await this.#checkFence();
      await this.#blobs.put(this.paths.creds, this.#keyring.seal(text, this.paths.creds), { contentType: 'application/json' });
      this.stats.credsWrites++;
    }, (error) => error instanceof StaleEpochError);
  }

  /** True once a newer epoch was seen; every later write is refused. */
  get fenced(): boolean {
    return this.#fenced !== null;
  }

  /**
   * Takes the session for this epoch: refuses when the marker holds a higher epoch (or the same
   * epoch for another worker), otherwise writes the marker so older owners are fenced.
   */
  async claim(): Promise<void> {
    const marker = await this.#readMarker();
    if (marker !== null && (marker.epoch > this.epoch || (marker.epoch === this.epoch && marker.workerId !== this.#workerId))) {
      throw this.#fence(marker.epoch);
    }
    await this.#blobs.put(this.paths.epoch, JSON.stringify({ epoch: this.epoch, workerId: this.#workerId, at: new Date().toISOString() }), {
      contentType: 'application/json',
    });
  }

  /** The stored creds text, or null for a session that never paired (or was logged out). */
  async readCreds(): Promise<string | null> {
    // Read-your-writes: a reconnect right after pairing (515) must see creds still being written.
    const unsaved = this.#creds.unsaved;
    if (unsaved !== undefined) return unsaved;
    const blob = await this.#blobs.get(this.paths.creds);
    this.stats.blobReads++;
    return blob === null ? null : this.#keyring.open(blob, this.paths.creds).toString('utf8');
  }

  /** Persists creds (latest wins, one write in flight); resolves when this version or a later one is stored. */
  writeCreds(text: string): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return Promise.reject(refused);
    return this.#creds.write(text);
  }

  /** Values of the requested ids that exist; absent ids are left out. */
  async getKeys(type: string, ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const byShard = new Map<string, string[]>();
    const singles: { id: string; path: string }[] = [];
    for (const id of ids) {
      const shard = this.#shardPath(type, id);
      if (shard !== undefined) byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
      else singles.push({ id, path: this.paths.key(type, id) });
    }
    await this.#pool(singles, async ({ id, path }) => {
      const value = await this.#readPath(path);
      if (value !== undefined) found.set(id, value);
    });
    await this.#pool([...byShard.entries()], async ([path, wanted]) => {
      const shard = parseShard(await this.#readPath(path));
      for (const id of wanted) {
        const value = shard[id];
        if (value !== undefined) found.set(id, value);
      }
    });
    return found;
  }

  /**
   * Records key changes and resolves when they are stored. Plain keys are visible to reads at
   * once; packed keys (pre-keys, in shards of 128) once their shard was read, which
   * this call awaits, serialised so two sets never rewrite one shard from the same old copy.
   */
  async setKeys(changes: readonly KeyChange[]): Promise<void> {
    if (!(await this.recordKeys(changes))) return;
    await new Promise<void>((resolve, reject) => this.#keyWaiters.push({ resolve, reject }));
  }

  /**
   * Records key changes (visible to reads from then on) and schedules their flush, without
   * waiting for it: for writers whose durability point is later (the FrameGate flushes before a
   * frame leaves). A flush that fails is retried and logged. Resolves false when there was nothing to record.
   */
  async recordKeys(changes: readonly KeyChange[]): Promise<boolean> {
    const refused = this.#refusal();
    if (refused !== null) throw refused;
    if (changes.length === 0) return false;
    const now = Date.now();
    const packed = new Map<string, KeyChange[]>();
    for (const change of changes) {
      const shard = this.#shardPath(change.type, change.id);
      if (shard !== undefined) packed.set(shard, [...(packed.get(shard) ?? []), change]);
      else this.#enqueue(this.paths.key(change.type, change.id), change, now);
    }
    if (packed.size > 0) {
      const run = this.#packLock.then(async () => {
        for (const [path, list] of packed) {
          const shard = parseShard(await this.#readPath(path));
          for (const change of list) {
            if (change.value === null) delete shard[change.id];
            else shard[change.id] = change.value;
          }
          const text = Object.keys(shard).length === 0 ? null : JSON.stringify(shard);
          this.#enqueue(path, { type: list[0]?.type ?? '', id: path, value: text }, now);
        }
      });
      this.#packLock = run.catch(() => undefined);
      await run;
    }
    if (this.#keyTimer === null && this.#keyLoop === null) {
      this.#keyTimer = setTimeout(() => {
        this.#keyTimer = null;
        this.#keyLoop ??= this.#runKeyLoop();
      }, this.#flushDelayMs);
    }
    return true;
  }

  /**
   * Lets the owner decide when a key flush may take its batch: the flush awaits
   * `guard()`, takes everything pending at once, then calls the release the guard resolved with.
   * Used to keep a decrypt's ratchet step out of the store until its message is journaled.
   */
  setBatchGuard(guard: BatchGuard): void {
    this.#batchGuard = guard;
  }

  /** Removes `guard` if it is still the one in place (a newer owner's stays). */
  clearBatchGuard(guard: BatchGuard): void {
    if (this.#batchGuard === guard) this.#batchGuard = null;
  }

  #enqueue(path: string, change: KeyChange, now: number): void {
    const previous = this.#pending.get(path);
    this.#pending.set(path, { ...change, since: previous?.since ?? now });
    this.#cache.set(path, change.value ?? MISSING);
  }

  /** Numeric ids of packed types go to a shard object; everything else is one object per key. */
  #shardPath(type: string, id: string): string | undefined {
    if (!PACKED_TYPES.has(type) || !/^\d{1,9}$/.test(id)) return undefined;
    return `${this.paths.keys}${encodeKeyId(type)}/shard-${Math.floor(Number(id) / KEYS_PER_SHARD)}.json`;
  }

  /** The object's text from memory or the store (cached); undefined when absent. */
  async #readPath(path: string): Promise<string | undefined> {
    const local = this.#localValue(path);
    if (local !== undefined) return local === MISSING ? undefined : local;
    const blob = await this.#blobs.get(path);
    this.stats.blobReads++;
    const value = blob === null ? MISSING : this.#keyring.open(blob, path).toString('utf8');
    // A set that raced with this read wins: it is newer than what the blob held.
    const raced = this.#localValue(path);
    if (raced === undefined) this.#cache.set(path, value);
    const result = raced ?? value;
    return result === MISSING ? undefined : result;
  }

  /** Writes everything pending now; rejects when a write fails. */
  async flush(): Promise<void> {
    if (this.#keyTimer !== null) {
      clearTimeout(this.#keyTimer);
      this.#keyTimer = null;
    }
    const tasks: Promise<void>[] = [];
    if (this.#pending.size > 0) {
      tasks.push(new Promise<void>((resolve, reject) => this.#keyWaiters.push({ resolve, reject })));
      this.#keyLoop ??= this.#runKeyLoop();
    } else if (this.#keyLoop !== null) {
      tasks.push(this.#keyLoop);
    }
    tasks.push(this.#creds.flush());
    await Promise.all(tasks);
  }

  /**
   * Logout: deletes creds and keys (the epoch marker stays, so fencing survives) and closes the
   * store, so a late write from the dying socket cannot bring a key back.
   */
  async deleteAll(): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) throw refused;
    // Closed first: a set arriving while we delete would otherwise be flushed afterwards.
    this.#closed = true;
    if (this.#keyTimer !== null) clearTimeout(this.#keyTimer);
    this.#keyTimer = null;
    await Promise.allSettled([this.#keyLoop, this.#creds.busy]);
    this.#pending.clear();
    this.#creds.clear();
    for (const w of this.#keyWaiters.splice(0)) w.resolve();
    try {
      await this.#checkFence();
    } catch (error) {
      this.#closed = false;
      throw error;
    }
    await this.#blobs.delete(this.paths.creds);
    await this.#blobs.deletePrefix(this.paths.keys);
    this.#cache.clear();
  }

  /** Flushes and refuses further writes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#fenced === null) await this.flush();
    } finally {
      this.#closed = true;
      if (this.#keyTimer !== null) clearTimeout(this.#keyTimer);
      this.#keyTimer = null;
      this.#cache.clear();
    }
  }

  #localValue(path: string): string | typeof MISSING | undefined {
    const pending = this.#pending.get(path);
    if (pending !== undefined) return pending.value ?? MISSING;
    if (this.#inflight.has(path)) return this.#inflight.get(path) ?? MISSING;
    return this.#cache.get(path);
  }

  #refusal(): Error | null {
    if (this.#fenced !== null) return this.#fenced;
    if (this.#closed) return new Error(`Auth state of session ${this.sessionId} is closed.`);
    return null;
  }

  async #readMarker(): Promise<{ epoch: number; workerId: string } | null> {
    const blob = await this.#blobs.get(this.paths.epoch);
    if (blob === null) return null;
    const parsed = JSON.parse(blob.toString('utf8')) as { epoch?: unknown; workerId?: unknown };
    if (typeof parsed.epoch !== 'number') throw new Error(`Epoch marker of session ${this.sessionId} is malformed.`);
    return { epoch: parsed.epoch, workerId: typeof parsed.workerId === 'string' ? parsed.workerId : '' };
  }

  #fence(currentEpoch: number | null): StaleEpochError {
    if (this.#fenced === null) {
      this.#fenced = new StaleEpochError(this.sessionId, this.epoch, currentEpoch);
      this.#logger?.warn({ sessionId: this.sessionId, epoch: this.epoch, currentEpoch }, 'Auth state fenced by a newer owner; writes refused');
      this.#onFenced?.(this.#fenced);
    }
    return this.#fenced;
  }

  async #checkFence(): Promise<void> {
    if (this.#fenced !== null) throw this.#fenced;
    const marker = await this.#readMarker();
    // No marker after a claim means a newer owner deleted the session: writing would resurrect it.
    if (marker === null || marker.epoch > this.epoch || (marker.epoch === this.epoch && marker.workerId !== this.#workerId)) {
      throw this.#fence(marker?.epoch ?? null);
    }
  }

  async #runKeyLoop(): Promise<void> {
    try {
      while (this.#pending.size > 0 || this.#keyWaiters.length > 0) {
        const release = this.#batchGuard === null ? undefined : await this.#batchGuard().catch(() => undefined);
        // Taken in one synchronous step after the guard allowed it.
        const batch = [...this.#pending.entries()];
        const waiters = this.#keyWaiters.splice(0);
        this.#pending = new Map();
        release?.();
        const started = Date.now();
        for (const [path, change] of batch) {
          this.#inflight.set(path, change.value);
          this.stats.maxBatchWaitMs = Math.max(this.stats.maxBatchWaitMs, started - change.since);
        }
        try {
          await this.#checkFence();
          await this.#pool(batch, async ([path, change]) => {
            if (change.value === null) {
              await this.#blobs.delete(path);
              this.stats.keysDeleted++;
            } else {
              await this.#blobs.put(path, this.#keyring.seal(change.value, path), { contentType: 'application/json' });
              this.stats.keysWritten++;
            }
          });
          this.stats.keyFlushes++;
          for (const w of waiters) w.resolve();
        } catch (error) {
          if (!(error instanceof StaleEpochError)) {
            // Requeue what no newer set replaced, so the next flush retries it.
            for (const [path, change] of batch) if (!this.#pending.has(path)) this.#pending.set(path, change);
            this.#logger?.error({ sessionId: this.sessionId, err: error, keys: batch.length }, 'Signal key flush failed; will retry');
            this.#scheduleRetry();
          }
          for (const w of waiters) w.reject(error);
          return;
        } finally {
          for (const [path] of batch) this.#inflight.delete(path);
        }
      }
    } finally {
      this.#keyLoop = null;
    }
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#keyTimer !== null) return;
    this.#keyTimer = setTimeout(() => {
      this.#keyTimer = null;
      if (!this.#closed && this.#fenced === null && this.#pending.size > 0) this.#keyLoop ??= this.#runKeyLoop();
    }, 1000);
    this.#keyTimer.unref();
  }

  async #pool<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const workers = Array.from({ length: Math.min(this.#writeConcurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await run(item);
      }
    });
    await Promise.all(workers);
  }
}
