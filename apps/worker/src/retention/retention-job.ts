import type { BlobStore } from '@wagate/storage';
import type { Logger } from '../logger.js';

export interface RetentionOptions {
  blobs: BlobStore;
  /** History chunks of days older than this, and media stored longer ago, are deleted. */
  retentionDays: number;
  /** `temp/` objects (QR images, uploads) older than this are deleted (DESIGN.md §12: a day). */
  tempMaxAgeMs?: number;
  /** Time between two sweeps. */
  intervalMs: number;
  /** The sessions whose history and media this worker sweeps (the ones it hosts). */
  sessions(): string[];
  logger?: Logger;
}

export interface SweepResult {
  historyChunks: number;
  mediaObjects: number;
  tempObjects: number;
}

const DAY_MS = 86_400_000;
const DAY_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Deletes what is past its retention: history day folders, media objects and `temp/` objects.
 * History keys carry their day (`history/<session>/<YYYY-MM-DD>/…`) and list in key order, so a
 * sweep reads only the expired days plus one page; media keys carry no date, so their stored
 * time decides. Only hosted sessions are swept: sessions nobody hosts keep their data until they
 * are restored or deleted, and several workers never walk the same session.
 */
export class RetentionJob {
  readonly #o: RetentionOptions;
  readonly #tempMaxAgeMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<SweepResult> | null = null;

  constructor(options: RetentionOptions) {
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) throw new Error('retentionDays must be a whole number of days, at least 1.');
    this.#o = options;
    this.#tempMaxAgeMs = options.tempMaxAgeMs ?? DAY_MS;
  }

  start(): void {
    if (this.#timer !== null) return;
    const tick = (): void => {
      void this.sweep()
        .catch((error: unknown) => this.#o.logger?.error({ err: error }, 'Retention sweep failed; next one at the next interval'))
        .finally(() => {
          if (this.#timer !== null) this.#timer = setTimeout(tick, this.#o.intervalMs).unref();
        });
    };
    // The first sweep waits one interval too: a restarting worker has sessions to restore first.
    this.#timer = setTimeout(tick, this.#o.intervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** One sweep as of `now`; concurrent calls share the sweep in progress. */
  sweep(now = Date.now()): Promise<SweepResult> {
    if (this.#running !== null) return this.#running;
    const run = this.#sweep(now).finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #sweep(now: number): Promise<SweepResult> {
    const result: SweepResult = { historyChunks: 0, mediaObjects: 0, tempObjects: 0 };
    const cutoff = now - this.#o.retentionDays * DAY_MS;
    const cutoffDay = new Date(cutoff).toISOString().slice(0, 10);
    for (const sessionId of this.#o.sessions()) {
      result.historyChunks += await this.#sweepHistory(sessionId, cutoffDay);
      result.mediaObjects += await this.#deleteOlder(`media/${sessionId}/`, cutoff);
    }
    result.tempObjects = await this.#deleteOlder('temp/', now - this.#tempMaxAgeMs);
    if (result.historyChunks + result.mediaObjects + result.tempObjects > 0) {
      this.#o.logger?.info({ ...result, retentionDays: this.#o.retentionDays }, 'Retention sweep deleted expired objects');
    }
    return result;
  }

  /** Deletes whole day folders before `cutoffDay`; stops listing at the first day that is kept. */
  async #sweepHistory(sessionId: string, cutoffDay: string): Promise<number> {
    const prefix = `history/${sessionId}/`;
    const expired = new Set<string>();
    let cursor: string | undefined;
    let reachedKept = false;
    do {
      const page = await this.#o.blobs.list(prefix, cursor === undefined ? {} : { cursor });
      for (const item of page.items) {
        const day = item.key.slice(prefix.length).split('/')[0] ?? '';
        if (!DAY_FOLDER.test(day)) continue;
        if (day >= cutoffDay) {
          reachedKept = true;
          break;
        }
        expired.add(day);
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined && !reachedKept);
    let deleted = 0;
    for (const day of expired) deleted += await this.#o.blobs.deletePrefix(`${prefix}${day}/`);
    return deleted;
  }

  /** Deletes objects under `prefix` stored before `before` (ms). */
  async #deleteOlder(prefix: string, before: number): Promise<number> {
    const expired: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#o.blobs.list(prefix, cursor === undefined ? {} : { cursor });
      for (const item of page.items) if (item.lastModified.getTime() < before) expired.push(item.key);
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    for (const key of expired) await this.#o.blobs.delete(key);
    return expired.length;
  }
}
