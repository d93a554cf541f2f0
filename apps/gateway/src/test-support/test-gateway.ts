// One call builds a whole gateway for a test: migrated PGlite, in-memory Coordinator, a temporary
// filesystem BlobStore, generated secrets. `signUp()` gives a logged-in user in one line.
import { FsBlobStore, MemoryCoordinator, type BlobStore, type Coordinator } from '@wagate/storage';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type AppDependencies } from '../app.js';
import { parseGatewayConfig, type GatewayConfig } from '../config.js';
import { sql } from 'drizzle-orm';
import type { Database, DatabaseHandle } from '../db/index.js';
import { userStatusCacheKey } from '../modules/users/index.js';
import { openTestPglite } from './pglite.js';

export interface TestGatewayOptions {
  /** Environment-style overrides, parsed like the real environment (`{ WA_NETWORK: 'sandbox' }`). */
  config?: Record<string, string | undefined>;
  /**
   * Replace or add dependencies (a RedisCoordinator, a fake worker client…). A `database` given here
   * must be a full DatabaseHandle (from openTestPglite) and is not closed by `close()`.
   */
  deps?: Partial<AppDependencies>;
}

export interface SignedUp {
  userId: string;
  email: string;
  /** Access token: `Authorization: Bearer ${token}`. */
  token: string;
  refreshToken: string;
  password: string;
}

export interface TestGateway {
  app: FastifyInstance;
  db: Database;
  database: DatabaseHandle;
  coordinator: Coordinator;
  blobStore: BlobStore;
  config: GatewayConfig;
  /** Registers (and so logs in) a new USER; the email defaults to a unique one. */
  signUp(email?: string): Promise<SignedUp>;
  /** Registers a user, promotes it to ADMIN in the database, and logs in again. */
  signUpAdmin(email?: string): Promise<SignedUp>;
  /** `{ authorization: 'Bearer …' }` for a token. */
  auth(token: string): { authorization: string };
  close(): Promise<void>;
}

let counter = 0;
const uniqueEmail = () => `user-${Date.now().toString(36)}-${++counter}-${randomBytes(3).toString('hex')}@example.test`;

/** Test-time config: generated secrets, silent logs, cheap bcrypt, overrides last. */
export function testGatewayConfig(dataDir: string, overrides: Record<string, string | undefined> = {}): GatewayConfig {
  return parseGatewayConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WORKER_TOKEN: randomBytes(24).toString('base64url'),
    // Cost 12 takes ~250 ms per hash; the tests exercise the logic, not the work factor.
    PASSWORD_HASH_COST: '4',
    ...overrides,
  });
}

export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'wagate-gw-'));
  const config = options.deps?.config ?? testGatewayConfig(dir, options.config);
  // A shared database (two gateway replicas in one test) is passed in and left open by close().
  const ownDatabase = !options.deps?.database;
  const database = (options.deps?.database as DatabaseHandle | undefined) ?? (await openTestPglite());
  const coordinator = options.deps?.coordinator ?? new MemoryCoordinator();
  const blobStore = options.deps?.blobStore ?? new FsBlobStore({ root: join(dir, 'objects') });
  let app: FastifyInstance;
  try {
    app = await buildApp({ logLevel: 'silent', ...options.deps, config, database, coordinator, blobStore });
    await app.ready();
  } catch (error) {
    if (ownDatabase) await database.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  async function signUp(email = uniqueEmail()): Promise<SignedUp> {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password } });
    if (res.statusCode !== 201) throw new Error(`signUp failed: ${res.statusCode} ${res.body}`);
    const body = res.json() as { user: { id: string; email: string }; token: string; refreshToken: string };
    return { userId: body.user.id, email: body.user.email, token: body.token, refreshToken: body.refreshToken, password };
  }

  async function signUpAdmin(email?: string): Promise<SignedUp> {
    const user = await signUp(email);
    await database.db.execute(sql`update users set role = 'ADMIN' where id = ${user.userId}`);
    // The role is read from the (cached) user record on every request, so drop the cached copy.
    await coordinator.delete(userStatusCacheKey(user.userId));
    return user;
  }

  return {
    app,
    db: database.db,
    database,
    coordinator,
    blobStore,
    config,
    signUp,
    signUpAdmin,
    auth: (token) => ({ authorization: `Bearer ${token}` }),
    async close() {
      try {
        await app.close();
      } finally {
        if (ownDatabase) await database.close();
        if (!options.deps?.coordinator) await coordinator.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
