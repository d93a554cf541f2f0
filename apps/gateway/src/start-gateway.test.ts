import { FsBlobStore, MemoryCoordinator } from '@wagate/storage';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemLogsRepository } from './modules/system-logs/index.js';
import { parseGatewayConfig, startGateway } from './index.js';

describe('startGateway', () => {
  let dir: string;
  let dataDir: string;
  const coordinator = new MemoryCoordinator();
  let blobStore: FsBlobStore;
  const configFor = (port: string) => parseGatewayConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: port, LOG_LEVEL: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wagate-start-'));
    // A nested DATA_DIR that does not exist yet: the gateway creates it.
    dataDir = join(dir, 'nested', 'data');
    blobStore = new FsBlobStore({ root: join(dataDir, 'objects') });
  });

  afterAll(async () => {
    await coordinator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the embedded database under DATA_DIR, listens, answers and closes everything', { timeout: 60_000 }, async () => {
    const started = performance.now();
    const gateway = await startGateway({ config: configFor('0'), coordinator, blobStore });
    process.stderr.write(`[start-gateway.test] first start (PGlite initdb + migrate + listen) ${Math.round(performance.now() - started)} ms\n`);
    try {
      expect(gateway.database.kind).toBe('pglite');
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await stat(join(dataDir, 'db'))).isDirectory()).toBe(true);
      const res = await fetch(`${gateway.url}/health/detailed`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('ok');
      await createSystemLogsRepository(gateway.database.db).append({ level: 'info', category: 'test', message: 'survives a restart' });
    } finally {
      await gateway.close();
    }
    // Closed means closed: the port is released and the database refuses work.
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    await expect(gateway.database.ping()).rejects.toThrow();
  });

  it('fails to start on a taken port, then restarts on the same data with migrations already applied', { timeout: 60_000 }, async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? String(address.port) : '0';
    try {
      await expect(startGateway({ config: configFor(port), coordinator, blobStore })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }

    // The rows written before the restart are still there, and the migrator finds nothing to apply.
    const started = performance.now();
    const gateway = await startGateway({ config: configFor('0'), coordinator, blobStore });
    process.stderr.write(`[start-gateway.test] restart on existing PGlite data ${Math.round(performance.now() - started)} ms\n`);
    try {
      const page = await createSystemLogsRepository(gateway.database.db).list({ category: 'test' });
      expect(page.data.map((l) => l.message)).toEqual(['survives a restart']);
    } finally {
      await gateway.close();
    }
  });
});
