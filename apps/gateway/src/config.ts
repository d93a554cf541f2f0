import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z.string().trim().min(1).optional();

/**
 * Whom to believe about the client address (X-Forwarded-For), which per-IP rate limits depend on.
 * `false` (default): nobody, the socket peer is the client. `true`: any proxy (only behind one you
 * control). A number: that many proxy hops. Otherwise a comma list of proxy addresses or CIDRs.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): boolean | number | string[] => {
    if (v === 'false' || v === '0') return false;
    if (v === 'true') return true;
    if (/^\d+$/.test(v)) return Number(v);
    const list = v.split(',').map((p) => p.trim()).filter(Boolean);
    if (list.length > 0 && list.every((p) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p) || ['loopback', 'linklocal', 'uniquelocal'].includes(p))) return list;
    ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count, or a comma list of addresses/CIDRs' });
    return z.NEVER;
  });

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Namespace of every Redis key, so several deployments (or test runs) can share one Redis. */
    REDIS_KEY_PREFIX: z.string().min(1).max(64).default('wagate:'),
    S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    S3_BUCKET: optionalString,
    S3_ACCESS_KEY: optionalString,
    S3_SECRET_KEY: optionalString,
    S3_REGION: z.string().min(1).default('us-east-1'),
    WA_NETWORK: z.enum(['whatsapp', 'sandbox']).default('whatsapp'),
    /** The wa-sim control API behind the sandbox routes when the simulator runs apart (`wagate sim`); `wagate dev` sets it itself. */
    SANDBOX_CONTROL_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Most virtual phones one user may create on the sandbox network; they cannot be deleted, so this is a lifetime cap. */
    SANDBOX_PHONES_PER_USER: z.coerce.number().int().min(0).default(50),
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(8).max(128).optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    ENCRYPTION_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
      .optional(),
    WORKER_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool.default(false),
    /** How often each replica's webhook dispatcher polls the outbox; 0 turns dispatch off on this replica. */
    WEBHOOK_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Also write the JSON log to this file, rotated daily (14 kept); stdout keeps every line either way. */
    LOG_FILE: optionalString,
    /** Largest accepted request body; base64 media (16 MiB decoded) needs about 23 MB. */
    BODY_LIMIT: z.coerce.number().int().min(1024).default(24 * 1024 * 1024),
    /**
     * Longest a client may take to send a whole request (headers and body). Fastify's default is
     * none, so a client trickling a body byte by byte held its socket forever (slowloris).
     */
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
    DOCS_ENABLED: bool.default(true),
    TRUST_PROXY: trustProxy.default(false),
    /** Most sessions a user of each tier may hold (issue 6); an admin changes a tier, not these. */
    SESSION_LIMIT_BASIC: z.coerce.number().int().min(0).default(3),
    SESSION_LIMIT_PRO: z.coerce.number().int().min(0).default(10),
    SESSION_LIMIT_MAX: z.coerce.number().int().min(0).default(50),
    /** bcrypt cost. 12 in every real deployment; test harnesses lower it so sign-ups stay fast. */
    PASSWORD_HASH_COST: z.coerce.number().int().min(4).max(15).default(12),
    /** Lifetime of a dashboard access token; refresh tokens renew it. */
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
    /** Requests per client address per 15 minutes (health, metrics and worker routes excluded); 0 turns it off. */
    RATE_LIMIT_IP_PER_15_MIN: z.coerce.number().int().min(0).default(1000),
    /** Failed logins within 15 minutes before login answers 429: per account, and per client address. */
    LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
    LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(50),
    /** How often workers beat (handed to them at registration); issue 8 fencing timings, DESIGN.md §6. */
    WORKER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
    /** A worker stops its sessions one interval before this lease runs out unrenewed. */
    WORKER_LEASE_TTL_MS: z.coerce.number().int().min(150).max(300_000).default(15_000),
    /** Silence before OFFLINE and failover; raised to lease + interval when set lower (default 20 s). */
    WORKER_OFFLINE_AFTER_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
    /** Restores in flight at once when an OFFLINE worker's sessions fail over (one leader does them all). */
    WORKER_FAILOVER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    /** Live sessions the leader may move per pass toward an idler worker (each reconnects once); 0 = off. */
    WORKER_REBALANCE_PER_PASS: z.coerce.number().int().min(0).max(100).default(0),
    /** Kubernetes discovery of worker pods (issue 8): in-cluster config, else KUBECONFIG. */
    K8S_DISCOVERY: bool.default(false),
    K8S_NAMESPACE: z.string().min(1).default('default'),
    K8S_WORKER_SELECTOR: z.string().min(1).default('app.kubernetes.io/component=wagate-worker'),
    K8S_WORKER_PORT: z.coerce.number().int().min(1).max(65_535).default(3100),
    /** Sessions a discovered pod may hold until its own heartbeat says otherwise. */
    K8S_WORKER_MAX_SESSIONS: z.coerce.number().int().min(1).default(50),
    /**
     * Largest media body read from a worker for GET /api/v1/messages/:id/media (it is buffered
     * before the answer starts); a bigger one aborts the worker call and answers 502.
     */
    WORKER_MEDIA_CAP_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
  });

export type GatewayConfig = z.infer<typeof schema>;

type Problem = { key: string; message: string };

/**
 * Rules across keys. They read the raw strings rather than hang off the schema as a refinement,
 * because zod skips refinements once any field is invalid, and then a bad PORT would hide a
 * missing production secret until the next attempt.
 */
function crossKeyProblems(env: Record<string, string>): Problem[] {
  const problems: Problem[] = [];
  if (env.NODE_ENV === 'production') {
    for (const key of ['JWT_SECRET', 'ENCRYPTION_KEY', 'WORKER_TOKEN']) {
      if (env[key] === undefined) problems.push({ key, message: 'is required in production' });
    }
    if (env.PASSWORD_HASH_COST !== undefined && Number(env.PASSWORD_HASH_COST) < 12) {
      problems.push({ key: 'PASSWORD_HASH_COST', message: 'must be at least 12 in production' });
    }
  }
  const s3 = ['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'];
  if (env.S3_ENDPOINT !== undefined || s3.some((k) => env[k] !== undefined)) {
    for (const key of s3) if (env[key] === undefined) problems.push({ key, message: 'is required when S3 is configured' });
  }
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    problems.push({ key: env.ADMIN_EMAIL === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD', message: 'ADMIN_EMAIL and ADMIN_PASSWORD go together' });
  }
  return problems;
}

export class ConfigError extends Error {
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment record; throws a ConfigError naming every invalid key at once. */
export function parseGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  // An empty variable means "not set", as in most deployment tools.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const result = schema.safeParse(cleaned);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => ({ key: i.path.join('.') || '(root)', message: i.message }))),
    ...crossKeyProblems(cleaned),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Reads process.env once at boot; on failure prints every bad key and exits. */
export function loadGatewayConfig(): GatewayConfig {
  try {
    return parseGatewayConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
