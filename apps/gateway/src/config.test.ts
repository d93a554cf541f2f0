import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseGatewayConfig } from './config.js';

describe('gateway config', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = parseGatewayConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', WA_NETWORK: 'whatsapp', LOG_LEVEL: 'info', WEBHOOK_ALLOW_PRIVATE_NETWORKS: false });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('reports every invalid key at once', () => {
    try {
      parseGatewayConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', WA_NETWORK: 'telegram', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const keys = (error as ConfigError).problems.map((p) => p.key).sort();
      expect(keys).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'WA_NETWORK']);
    }
  });

  it('requires the secrets in production', () => {
    expect(() => parseGatewayConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET[\s\S]*ENCRYPTION_KEY[\s\S]*WORKER_TOKEN/);
  });

  it('requires a 32-byte encryption key', () => {
    expect(() => parseGatewayConfig({ ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/ENCRYPTION_KEY/);
    expect(parseGatewayConfig({ ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }).ENCRYPTION_KEY).toBeDefined();
  });

  it('requires the rest of S3 once any S3 setting is given', () => {
    expect(() => parseGatewayConfig({ S3_ENDPOINT: 'http://minio:9000' })).toThrow(/S3_BUCKET[\s\S]*S3_ACCESS_KEY[\s\S]*S3_SECRET_KEY/);
  });

  it('trusts no proxy unless told, and reads hop counts and address lists', () => {
    expect(parseGatewayConfig({}).TRUST_PROXY).toBe(false);
    expect(parseGatewayConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(parseGatewayConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(parseGatewayConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => parseGatewayConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });

  it('hashes passwords at bcrypt cost 12 by default and refuses less in production', () => {
    expect(parseGatewayConfig({}).PASSWORD_HASH_COST).toBe(12);
    const secrets = { JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'), WORKER_TOKEN: 'w'.repeat(24) };
    expect(() => parseGatewayConfig({ NODE_ENV: 'production', ...secrets, PASSWORD_HASH_COST: '4' })).toThrow(/PASSWORD_HASH_COST: must be at least 12/);
    expect(parseGatewayConfig({ NODE_ENV: 'production', ...secrets, PASSWORD_HASH_COST: '13' }).PASSWORD_HASH_COST).toBe(13);
  });

  it('treats empty variables as unset', () => {
    expect(parseGatewayConfig({ REDIS_URL: '', PORT: '' }).PORT).toBe(3000);
  });

  it('exits 1 at boot, printing every bad key, when process.env is invalid', () => {
    const configModule = fileURLToPath(new URL('./config.ts', import.meta.url));
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { loadGatewayConfig } from ${JSON.stringify(configModule)}; loadGatewayConfig();`],
      { env: { PATH: process.env.PATH, PORT: 'eighty', LOG_LEVEL: 'loud', NODE_ENV: 'production' }, encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status).toBe(1);
    for (const key of ['PORT', 'LOG_LEVEL', 'JWT_SECRET', 'ENCRYPTION_KEY', 'WORKER_TOKEN']) expect(run.stderr).toContain(key);
  });
});
