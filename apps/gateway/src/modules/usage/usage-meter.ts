// Usage counting off the request path: `record` only bumps an in-memory counter; a timer (and
// close) writes the counters to usage_records as one upsert per flush, by hour bucket.
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'drizzle-orm';
import { newId, type Database } from '../../db/index.js';

export interface UsageEvent {
  userId: string;
  sessionId?: string | null | undefined;
  apiKeyId?: string | null | undefined;
  /** `api.calls`, `messages.sent`, `messages.sent.<type>`, `messages.received`. */
  metric: string;
  count?: number | undefined;
}

export interface UsageMeter {
  /** Buffers one count; cheap and synchronous. */
  record(event: UsageEvent): void;
  /** Writes everything buffered so far. */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
  /** Also hands every recorded count to `listener` (the metrics module counts messages with it). */
  observe(listener: (event: UsageEvent) => void): void;
}

const HOUR_MS = 3_600_000;

interface Bucket {
  userId: string;
  sessionId: string | null;
  apiKeyId: string | null;
  periodStart: string;
  metric: string;
  count: number;
}

export function createUsageMeter(deps: { db: Database; logger: FastifyBaseLogger; flushIntervalMs?: number; maxBuckets?: number }): UsageMeter {
  const maxBuckets = deps.maxBuckets ?? 5_000;
  let buffer = new Map<string, Bucket>();
  let flushing: Promise<void> = Promise.resolve();
  const listeners: ((event: UsageEvent) => void)[] = [];

  function add(bucket: Bucket): void {
    const key = [bucket.userId, bucket.sessionId ?? '', bucket.apiKeyId ?? '', bucket.periodStart, bucket.metric].join('\u0000');
    const existing = buffer.get(key);
    if (existing) existing.count += bucket.count;
    else buffer.set(key, { ...bucket });
  }

  async function write(batch: Bucket[]): Promise<void> {
    const rows = batch.map((b) => ({ id: newId('usg'), user_id: b.userId, session_id: b.sessionId, api_key_id: b.apiKeyId, period_start: b.periodStart, metric: b.metric, count: b.count }));
    // One statement for the whole batch. The join drops counts of users deleted meanwhile, which
    // would otherwise fail the foreign key and the batch with it.
    await deps.db.execute(sql`
      insert into usage_records (id, user_id, session_id, api_key_id, period_start, metric, count)
      select v.id, v.user_id, v.session_id, v.api_key_id, v.period_start, v.metric, v.count
      from json_to_recordset(${JSON.stringify(rows)}::json)
        as v(id text, user_id text, session_id text, api_key_id text, period_start timestamptz, metric text, count bigint)
      join users u on u.id = v.user_id
      on conflict (user_id, session_id, api_key_id, period_start, metric)
      do update set count = usage_records.count + excluded.count`);
  }

  function flush(): Promise<void> {
    // Serialised, so two flushes never interleave and a failed batch goes back before the next.
    flushing = flushing.then(async () => {
      if (buffer.size === 0) return;
      const batch = [...buffer.values()];
      buffer = new Map();
      try {
        await write(batch);
      } catch (error) {
        for (const bucket of batch) add(bucket);
        deps.logger.warn({ err: error, buckets: batch.length }, 'usage flush failed; counts kept for the next attempt');
      }
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), deps.flushIntervalMs ?? 10_000);
  timer.unref();

  return {
    record(event) {
      const count = event.count ?? 1;
      if (!(count > 0)) return;
      for (const listener of listeners) listener(event);
      const periodStart = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS).toISOString();
      add({ userId: event.userId, sessionId: event.sessionId ?? null, apiKeyId: event.apiKeyId ?? null, periodStart, metric: event.metric, count });
      if (buffer.size >= maxBuckets) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
    observe(listener) {
      listeners.push(listener);
    },
  };
}
