import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { eventBatchResponse, eventEnvelope, newEventId } from '@wagate/contracts';
import type { EventBatchResponse } from '@wagate/contracts';
import type { Logger } from '../logger.js';
import type { NewWorkerEvent, WorkerEvent } from './worker-event.js';

export class InvalidEventError extends Error {
  constructor(type: string, detail: string) {
    super(`Event ${type} does not match the contract: ${detail}`);
    this.name = 'InvalidEventError';
  }
}

export interface OutboxOptions {
  /** Journal folder, on local disk (see the class comment for why not the BlobStore). */
  dir: string;
  gatewayUrl: string;
  workerToken: string;
  workerId: string;
  /** Most events per POST. */
  batchSize?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  logger?: Logger;
  /** For tests and keep-alive tuning; defaults to undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** The gateway says these sessions now belong to a newer epoch elsewhere: stop them at once. */
  onDropSessions?: (sessions: EventBatchResponse['dropSessions']) => void;
}

export interface OutboxStats {
  pending: number;
  delivered: number;
  failedAttempts: number;
  deadLettered: number;
}

interface Journaled {
  event: WorkerEvent;
  file: string;
}

/** Refusals that will never turn into a 2xx by retrying the same body. */
const POISON = new Set([400, 413, 415, 422]);

/**
 * At-least-once delivery of worker events to the gateway. `publish` resolves only once the
 * events are on disk (fsynced file per publish call, written to a temp name then renamed), so an
 * event reported to anyone is never lost by a crash; a sender posts them in order, in batches, to
 * `POST {gatewayUrl}/api/v1/internal/events`, retries with capped, jittered backoff while the
 * gateway is away, and deletes a file only after every event in it got a 2xx.
 *
 * Why local disk under DATA_DIR and not the BlobStore: events are per worker process, written
 * on the hot path of every message (a local fsync costs ~1 ms, an S3 put tens of ms), and the
 * journal needs no sharing. The cost: with an ephemeral disk, events still undelivered when a
 * pod is destroyed are lost; the gateway then relies on the next `session.status` the new
 * owner reports after restore.
 */
export class EventOutbox {
  readonly #options: Required<Omit<OutboxOptions, 'logger' | 'dispatcher' | 'onDropSessions'>> & Pick<OutboxOptions, 'logger' | 'dispatcher' | 'onDropSessions'>;
  readonly #queue: Journaled[] = [];
  /** Events still undelivered per journal file. */
  readonly #remaining = new Map<string, number>();
  readonly stats: OutboxStats = { pending: 0, delivered: 0, failedAttempts: 0, deadLettered: 0 };
  #seq = 0;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #sleepTimer: NodeJS.Timeout | null = null;
  #opened = false;

  constructor(options: OutboxOptions) {
    this.#options = {
      batchSize: 100,
      minBackoffMs: 200,
      maxBackoffMs: 30_000,
      requestTimeoutMs: 10_000,
      ...options,
      gatewayUrl: options.gatewayUrl.replace(/\/+$/, ''),
    };
  }

  /** Loads events journaled by a previous run, oldest first. */
  async open(): Promise<void> {
    if (this.#opened) return;
    await mkdir(this.#options.dir, { recursive: true });
    const files = (await readdir(this.#options.dir)).filter((f) => f.endsWith('.json')).sort();
    for (const file of files) {
      let events: WorkerEvent[];
      try {
        events = JSON.parse(await readFile(join(this.#options.dir, file), 'utf8')) as WorkerEvent[];
      } catch (error) {
        // A file is renamed into place only once complete, so this is disk damage: keep it aside.
        this.#options.logger?.error({ err: error, file }, 'Unreadable outbox journal file set aside');
        await rename(join(this.#options.dir, file), join(this.#options.dir, `${file}.corrupt`)).catch(() => undefined);
        continue;
      }
      this.#remaining.set(file, events.length);
      for (const event of events) this.#queue.push({ event, file });
    }
    this.stats.pending = this.#queue.length;
    this.#opened = true;
  }

  /**
   * Journals the events and queues them for delivery; resolves once they are on disk. Each is
   * checked against the contract first: the gateway would refuse a malformed one forever.
   */
  async publish(events: readonly NewWorkerEvent[]): Promise<WorkerEvent[]> {
    if (!this.#opened) await this.open();
    if (events.length === 0) return [];
    const now = Date.now();
    const stored: WorkerEvent[] = events.map((e) => {
      const candidate = { ...e, id: e.id ?? newEventId(), workerId: this.#options.workerId, createdAt: new Date(now).toISOString() };
      const parsed = eventEnvelope.safeParse(candidate);
      if (!parsed.success) throw new InvalidEventError(e.type, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return parsed.data;
    });
    const file = `${String(now).padStart(15, '0')}-${String(this.#seq++).padStart(9, '0')}.json`;
    const temp = join(this.#options.dir, `.${file}.tmp`);
    await writeFile(temp, JSON.stringify(stored), { flush: true });
    await rename(temp, join(this.#options.dir, file));
    this.#remaining.set(file, stored.length);
    for (const event of stored) this.#queue.push({ event, file });
    this.stats.pending = this.#queue.length;
    this.#wake?.();
    return stored;
  }

  /** Starts the sender. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Tries to deliver what is queued for up to `drainMs`, then stops (undelivered events stay journaled). */
  async stop(drainMs = 0): Promise<void> {
    if (drainMs > 0 && this.#running) {
      const deadline = Date.now() + drainMs;
      while (this.#queue.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }

  /** Registration hands out the worker's id and token; later events carry and use them. */
  setIdentity(token: string, workerId?: string): void {
    this.#options.workerToken = token;
    if (workerId !== undefined) this.#options.workerId = workerId;
  }

  get pending(): number {
    return this.#queue.length;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      if (this.#queue.length === 0) {
        await this.#sleep(undefined);
        continue;
      }
      const batch = this.#queue.slice(0, this.#options.batchSize);
      const outcome = await this.#post(batch.map((j) => j.event));
      if (outcome === 'poison') {
        failures = 0;
        await this.#deadLetter(batch);
        await this.#acknowledge(batch, new Set(batch.map((j) => j.event.id)), false);
        continue;
      }
      if (outcome !== 'retry') {
        failures = 0;
        await this.#acknowledge(batch, outcome, true);
        // Ids the gateway neither acknowledged nor rejected stay queued and go again.
        if (batch.every((j) => outcome.has(j.event.id))) continue;
      }
      failures++;
      this.stats.failedAttempts++;
      const ceiling = Math.min(this.#options.maxBackoffMs, this.#options.minBackoffMs * 2 ** Math.min(failures - 1, 20));
      // Full jitter, but never zero: a tight loop against a dead gateway helps nobody.
      await this.#sleep(Math.max(this.#options.minBackoffMs / 2, Math.random() * ceiling));
    }
  }

  /** The ids the gateway is done with, or what to do with the whole batch. */
  async #post(events: WorkerEvent[]): Promise<Set<string> | 'retry' | 'poison'> {
    try {
      const response = await request(`${this.#options.gatewayUrl}/api/v1/internal/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#options.workerToken}` },
        body: JSON.stringify({ events }),
        headersTimeout: this.#options.requestTimeoutMs,
        bodyTimeout: this.#options.requestTimeoutMs,
        ...(this.#options.dispatcher === undefined ? {} : { dispatcher: this.#options.dispatcher }),
      });
      const text = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) return this.#settled(events, text);
      if (POISON.has(response.statusCode)) {
        this.#options.logger?.error({ status: response.statusCode, events: events.length }, 'Gateway refused an event batch; dead-lettered');
        return 'poison';
      }
      this.#options.logger?.warn({ status: response.statusCode, events: events.length }, 'Gateway did not accept events; will retry');
      return 'retry';
    } catch (error) {
      this.#options.logger?.warn({ err: error, events: events.length }, 'Gateway unreachable; will retry');
      return 'retry';
    }
  }

  #settled(events: WorkerEvent[], text: string): Set<string> {
    let body: EventBatchResponse | undefined;
    try {
      const parsed = eventBatchResponse.safeParse(JSON.parse(text));
      if (parsed.success) body = parsed.data;
    } catch {
      // Not JSON: a 2xx without the contract body still means the batch was taken.
    }
    if (body === undefined) return new Set(events.map((e) => e.id));
    for (const r of body.rejected) this.#options.logger?.warn({ eventId: r.id, code: r.code, detail: r.detail }, 'Gateway rejected an event');
    if (body.dropSessions.length > 0) this.#options.onDropSessions?.(body.dropSessions);
    return new Set([...body.acknowledged, ...body.rejected.map((r) => r.id)]);
  }

  async #deadLetter(batch: Journaled[]): Promise<void> {
    const dir = join(this.#options.dir, 'dead');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${Date.now()}-${this.#seq++}.json`), JSON.stringify(batch.map((j) => j.event)), { flush: true });
    this.stats.deadLettered += batch.length;
  }

  async #acknowledge(batch: Journaled[], done: Set<string>, delivered: boolean): Promise<void> {
    const settled = batch.filter((j) => done.has(j.event.id));
    const keep = batch.filter((j) => !done.has(j.event.id));
    this.#queue.splice(0, batch.length, ...keep);
    if (delivered) this.stats.delivered += settled.length;
    this.stats.pending = this.#queue.length;
    const emptied: string[] = [];
    for (const { file } of settled) {
      const left = (this.#remaining.get(file) ?? 1) - 1;
      if (left <= 0) {
        this.#remaining.delete(file);
        emptied.push(file);
      } else this.#remaining.set(file, left);
    }
    await Promise.all(emptied.map((f) => rm(join(this.#options.dir, f), { force: true })));
  }

  #sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (this.#sleepTimer !== null) clearTimeout(this.#sleepTimer);
        this.#sleepTimer = null;
        this.#wake = null;
        resolve();
      };
      this.#wake = ms === undefined ? done : () => (this.#running ? undefined : done());
      if (ms !== undefined) this.#sleepTimer = setTimeout(done, ms);
    });
  }
}
