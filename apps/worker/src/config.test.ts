import { describe, expect, it } from 'vitest';
import { ConfigError, parseWorkerConfig } from './config.js';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const base = { WORKER_TOKEN: 'a-worker-token-of-16+', ENCRYPTION_KEY: KEY_A };

function issuesOf(env: Record<string, string | undefined>): { key: string; message: string }[] {
  try {
    parseWorkerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseWorkerConfig', () => {
  it('applies embedded defaults when only secrets are set', () => {
    const config = parseWorkerConfig(base);
    expect(config).toMatchObject({
      gatewayUrl: 'http://127.0.0.1:3000',
      port: 3100,
      host: '0.0.0.0',
      endpoint: 'http://127.0.0.1:3100',
      maxSessions: 100,
      dataDir: './data',
      s3: undefined,
      waNetwork: 'whatsapp',
      logLevel: 'info',
      authKeyFlushMs: 50,
      historyFlushMs: 1000,
      historyRetentionDays: 90,
      retentionSweepIntervalMs: 3_600_000,
    });
    expect(config.encryptionKeys).toEqual([{ id: 'k0', key: Buffer.alloc(32, 1) }]);
  });

  it('reads the retention settings and refuses a retention under one day', () => {
    expect(parseWorkerConfig({ ...base, HISTORY_RETENTION_DAYS: '30', RETENTION_SWEEP_INTERVAL_MS: '60000' })).toMatchObject({ historyRetentionDays: 30, retentionSweepIntervalMs: 60_000 });
    expect(issuesOf({ ...base, HISTORY_RETENTION_DAYS: '0' }).map((i) => i.key)).toEqual(['HISTORY_RETENTION_DAYS']);
  });

  it('prefers WORKER_PORT over PORT and trims a trailing slash from URLs', () => {
    const config = parseWorkerConfig({ ...base, WORKER_PORT: '4000', PORT: '5000', GATEWAY_URL: 'http://gw:3000/' });
    expect(config.port).toBe(4000);
    expect(config.gatewayUrl).toBe('http://gw:3000');
    expect(parseWorkerConfig({ ...base, PORT: '5000' }).port).toBe(5000);
    expect(parseWorkerConfig({ ...base, WORKER_HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it('lists every invalid key at once', () => {
    const issues = issuesOf({
      MAX_SESSIONS: 'many',
      GATEWAY_URL: 'ftp://x',
      WA_NETWORK: 'moon',
      ENCRYPTION_KEY: 'c2hvcnQ=',
      LOG_LEVEL: 'loud',
      S3_BUCKET: 'b',
    });
    const keys = issues.map((i) => i.key).sort();
    expect(keys).toEqual(['ENCRYPTION_KEY', 'GATEWAY_URL', 'LOG_LEVEL', 'MAX_SESSIONS', 'S3_ENDPOINT', 'WA_NETWORK', 'WORKER_TOKEN']);
  });

  it('requires an encryption key and the whole S3 group', () => {
    const issues = issuesOf({ WORKER_TOKEN: base.WORKER_TOKEN, S3_ENDPOINT: 'http://s3:9000' });
    expect(issues.map((i) => i.key).sort()).toEqual(['ENCRYPTION_KEY', 'S3_ACCESS_KEY', 'S3_BUCKET', 'S3_SECRET_KEY']);
  });

  it('reads rotated keys with the current one first', () => {
    const config = parseWorkerConfig({ WORKER_TOKEN: base.WORKER_TOKEN, ENCRYPTION_KEYS: `k1:${KEY_B}, k0:${KEY_A}` });
    expect(config.encryptionKeys.map((k) => k.id)).toEqual(['k1', 'k0']);
    expect(config.encryptionKeys[0]?.key.equals(Buffer.alloc(32, 2))).toBe(true);
  });

  it('refuses duplicate key ids, malformed lists and both forms together', () => {
    expect(issuesOf({ WORKER_TOKEN: base.WORKER_TOKEN, ENCRYPTION_KEYS: `k1:${KEY_B},k1:${KEY_A}` })[0]?.message).toMatch(/twice/);
    expect(issuesOf({ WORKER_TOKEN: base.WORKER_TOKEN, ENCRYPTION_KEYS: KEY_A })[0]?.key).toBe('ENCRYPTION_KEYS');
    expect(issuesOf({ ...base, ENCRYPTION_KEYS: `k1:${KEY_B}` })[0]?.message).toMatch(/not both/);
  });

  it('parses S3, sandbox network and a pinned WhatsApp version', () => {
    const config = parseWorkerConfig({
      ...base,
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'wagate',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 's',
      WA_NETWORK: 'sandbox',
      WA_VERSION: '2.3000.1023223821',
      MAX_SESSIONS: '7',
    });
    expect(config.s3).toEqual({ endpoint: 'http://127.0.0.1:9000', bucket: 'wagate', accessKey: 'a', secretKey: 's', region: 'us-east-1' });
    expect(config.waNetwork).toBe('sandbox');
    expect(config.waVersion).toEqual([2, 3000, 1023223821]);
    expect(config.maxSessions).toBe(7);
  });
});
