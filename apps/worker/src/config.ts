import { z } from 'zod';

/** Log levels pino understands; `silent` is for tests. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface EncryptionKey {
  id: string;
  /** 32 raw bytes (AES-256). */
  key: Buffer;
}

export interface S3Config {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface PacerConfig {
  /** Minimum spacing between two sends from one WhatsApp number. */
  minIntervalMs: number;
  /** Random extra spacing added to the minimum, so sends do not look machine-timed. */
  jitterMs: number;
  /** Sends queued per number before new ones are refused. */
  maxQueue: number;
}

export interface WorkerConfig {
  gatewayUrl: string;
  workerId: string;
  /** URL the gateway uses to reach this worker's internal API. */
  endpoint: string;
  port: number;
  /** Interface the internal API binds to; `wagate dev` keeps it on loopback. */
  host: string;
  maxSessions: number;
  dataDir: string;
  redisUrl: string | undefined;
  /** Undefined means the filesystem BlobStore under `dataDir`. */
  s3: S3Config | undefined;
  waNetwork: 'whatsapp' | 'sandbox';
  /** Pinned WhatsApp Web version, so startup makes no network call; undefined = Baileys' bundled one. */
  waVersion: [number, number, number] | undefined;
  /** Current key first; the others only decrypt (rotation). */
  encryptionKeys: EncryptionKey[];
  workerToken: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** LOG_FILE: also write the JSON log here, rotated daily; undefined = stdout only. */
  logFile: string | undefined;
  heartbeatIntervalMs: number;
  /** Upper bound for batching Signal key writes before they are flushed to the BlobStore. */
  authKeyFlushMs: number;
  pacer: PacerConfig;
  /** Longest a history record waits in memory before its chunk is written: what a kill -9 can lose. */
  historyFlushMs: number;
  /** History chunks and stored media older than this many days are deleted (DESIGN.md §12). */
  historyRetentionDays: number;
  /** Time between two retention sweeps (history, media, temp/). */
  retentionSweepIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly { key: string; message: string }[]) {
    super(`Invalid worker configuration: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const intFrom = (def: number, min: number, max: number) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional()
      .transform((v) => v ?? def),
  );

const url = (def?: string) =>
  optionalString.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .optional()
      .transform((v) => (v ?? def)?.replace(/\/+$/, '')),
  );

const envSchema = z
  .object({
    GATEWAY_URL: url('http://127.0.0.1:3000'),
    WORKER_ID: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore')
        .optional(),
    ),
    WORKER_ENDPOINT: url(),
    WORKER_PORT: intFrom(-1, 0, 65535),
    PORT: intFrom(3100, 0, 65535),
    WORKER_HOST: optionalString,
    MAX_SESSIONS: intFrom(100, 1, 100_000),
    DATA_DIR: optionalString.transform((v) => v ?? './data'),
    REDIS_URL: optionalString.pipe(z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional()),
    S3_ENDPOINT: url(),
    S3_BUCKET: optionalString,
    S3_ACCESS_KEY: optionalString,
    S3_SECRET_KEY: optionalString,
    S3_REGION: optionalString.transform((v) => v ?? 'us-east-1'),
    WA_NETWORK: optionalString.pipe(z.enum(['whatsapp', 'sandbox']).optional().transform((v) => v ?? 'whatsapp')),
    WA_VERSION: optionalString.pipe(z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like 2.3000.1023223821').optional()),
    WORKER_TOKEN: optionalString.pipe(z.string({ error: 'is required' }).min(16, 'must be at least 16 characters')),
    LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).optional().transform((v) => v ?? 'info')),
    LOG_FILE: optionalString,
    HEARTBEAT_INTERVAL_MS: intFrom(5000, 100, 600_000),
    AUTH_KEY_FLUSH_MS: intFrom(50, 0, 10_000),
    PACER_MIN_INTERVAL_MS: intFrom(1000, 0, 600_000),
    PACER_JITTER_MS: intFrom(1500, 0, 600_000),
    PACER_MAX_QUEUE: intFrom(500, 1, 1_000_000),
    HISTORY_FLUSH_MS: intFrom(1000, 10, 60_000),
    HISTORY_RETENTION_DAYS: intFrom(90, 1, 36_500),
    RETENTION_SWEEP_INTERVAL_MS: intFrom(3_600_000, 1000, 7 * 86_400_000),
  });

type Issue = { key: string; message: string };
const trimmed = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** Base64 of exactly 32 bytes, or undefined with an issue added. */
function decodeKey(value: string, issues: Issue[], key: string): Buffer | undefined {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    issues.push({ key, message: 'must be base64 of exactly 32 bytes' });
    return undefined;
  }
  return bytes;
}

/** Keys from ENCRYPTION_KEY or ENCRYPTION_KEYS, current first. Checked on the raw env so its issues join the field issues. */
function parseEncryptionKeys(env: Record<string, string | undefined>, issues: Issue[]): EncryptionKey[] {
  const single = trimmed(env.ENCRYPTION_KEY);
  const list = trimmed(env.ENCRYPTION_KEYS);
  const keys: EncryptionKey[] = [];
  if (single !== undefined && list !== undefined) {
    issues.push({ key: 'ENCRYPTION_KEYS', message: 'set ENCRYPTION_KEY or ENCRYPTION_KEYS, not both' });
  } else if (list !== undefined) {
    const seen = new Set<string>();
    for (const part of list.split(',')) {
      const match = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(part.trim());
      if (match === null || match[1] === undefined || match[2] === undefined) {
        issues.push({ key: 'ENCRYPTION_KEYS', message: 'must be "id:base64key,id:base64key" (current key first)' });
        continue;
      }
      const id = match[1];
      if (seen.has(id)) issues.push({ key: 'ENCRYPTION_KEYS', message: `key id "${id}" appears twice` });
      seen.add(id);
      const key = decodeKey(match[2], issues, 'ENCRYPTION_KEYS');
      if (key !== undefined) keys.push({ id, key });
    }
  } else if (single !== undefined) {
    // The single-key form is id "k0", so moving to ENCRYPTION_KEYS="k1:new,k0:old" keeps old blobs readable.
    const key = decodeKey(single, issues, 'ENCRYPTION_KEY');
    if (key !== undefined) keys.push({ id: 'k0', key });
  } else {
    issues.push({ key: 'ENCRYPTION_KEY', message: 'is required (or ENCRYPTION_KEYS)' });
  }
  return keys;
}

function checkS3(env: Record<string, string | undefined>, issues: Issue[]): void {
  const others = ['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const;
  if (trimmed(env.S3_ENDPOINT) !== undefined) {
    for (const k of others) if (trimmed(env[k]) === undefined) issues.push({ key: k, message: 'is required when S3_ENDPOINT is set' });
  } else {
    for (const k of others) if (trimmed(env[k]) !== undefined) issues.push({ key: 'S3_ENDPOINT', message: `is required when ${k} is set` });
  }
}

/** Parses an env record; throws ConfigError naming every invalid key at once. */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const issues: Issue[] = [];
  const result = envSchema.safeParse(env);
  if (!result.success) {
    for (const issue of result.error.issues) issues.push({ key: String(issue.path[0] ?? '(env)'), message: issue.message });
  }
  const encryptionKeys = parseEncryptionKeys(env, issues);
  checkS3(env, issues);
  if (!result.success || issues.length > 0) throw new ConfigError(issues);
  const e = result.data;
  // WORKER_PORT is the worker's own name; PORT is honoured for platforms that inject it.
  const port = e.WORKER_PORT >= 0 ? e.WORKER_PORT : e.PORT;
  return {
    gatewayUrl: e.GATEWAY_URL ?? 'http://127.0.0.1:3000',
    workerId: e.WORKER_ID ?? `worker-${process.pid}`,
    endpoint: e.WORKER_ENDPOINT ?? `http://127.0.0.1:${port}`,
    port,
    host: e.WORKER_HOST ?? '0.0.0.0',
    maxSessions: e.MAX_SESSIONS,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    s3:
      e.S3_ENDPOINT === undefined
        ? undefined
        : {
            endpoint: e.S3_ENDPOINT,
            bucket: e.S3_BUCKET ?? '',
            accessKey: e.S3_ACCESS_KEY ?? '',
            secretKey: e.S3_SECRET_KEY ?? '',
            region: e.S3_REGION,
          },
    waNetwork: e.WA_NETWORK,
    waVersion: e.WA_VERSION === undefined ? undefined : (e.WA_VERSION.split('.').map(Number) as [number, number, number]),
    encryptionKeys,
    workerToken: e.WORKER_TOKEN,
    logLevel: e.LOG_LEVEL,
    logFile: e.LOG_FILE,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    authKeyFlushMs: e.AUTH_KEY_FLUSH_MS,
    pacer: { minIntervalMs: e.PACER_MIN_INTERVAL_MS, jitterMs: e.PACER_JITTER_MS, maxQueue: e.PACER_MAX_QUEUE },
    historyFlushMs: e.HISTORY_FLUSH_MS,
    historyRetentionDays: e.HISTORY_RETENTION_DAYS,
    retentionSweepIntervalMs: e.RETENTION_SWEEP_INTERVAL_MS,
  };
}

/** The only reader of process.env in the worker. */
export function loadWorkerConfig(): WorkerConfig {
  return parseWorkerConfig(process.env);
}
