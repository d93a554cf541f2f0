// LOG_FILE: the JSON log also lands in a daily-rotated file (pino-roll in pino's transport thread).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './config.js';
import { loggerOptions } from './logger.js';

describe('LOG_FILE', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is optional config, and writes redacted JSON lines to a dated file in a directory it creates', async () => {
    expect(parseGatewayConfig({}).LOG_FILE).toBeUndefined();
    dir = await mkdtemp(join(tmpdir(), 'wagate-logs-'));
    const file = join(dir, 'nested', 'gateway.log');
    expect(parseGatewayConfig({ LOG_FILE: file }).LOG_FILE).toBe(file);

    const logger = pino(loggerOptions('info', file));
    const marker = `marker-${Date.now()}`;
    logger.info({ password: 'hunter2-secret' }, marker);
    logger.debug('below the level');
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes(marker) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const names = await readdir(join(dir, 'nested')).catch(() => [] as string[]);
      text = (await Promise.all(names.map((n) => readFile(join(dir, 'nested', n), 'utf8')))).join('');
    }
    const names = await readdir(join(dir, 'nested'));
    // pino-roll names files <base>.<date>.<n>.log.
    expect(names.some((n) => /^gateway\.\d{4}-\d{2}-\d{2}\.\d+\.log$/.test(n)), names.join(',')).toBe(true);
    const line = JSON.parse(text.split('\n').find((l) => l.includes(marker))!) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: marker, service: 'gateway', password: '[redacted]' });
    expect(text).not.toContain('below the level');
  });
});
