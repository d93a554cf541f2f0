// SIGTERM under load: `wagate dev` gets the signal while sign-ups (bcrypt cost 12, ~¼ s each) are
// in flight. Every request sent well before the signal must be answered 2xx (no 5xx, no reset),
// the process must exit 0 within the CLI's bound, and after a restart on the same DATA_DIR every
// acknowledged sign-up must be in the database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeFixedPort } from './support/journey.js';
import { startCli, waitForHttp, type RunningProcess } from './support/processes.js';

const ADMIN_EMAIL = 'admin@example.test';
const ADMIN_PASSWORD = 'admin-password-123';
/** A request sent this long before the signal has surely reached the server and been accepted. */
const ACCEPTED_MARGIN_MS = 150;

/**
 * Up, and past the point where the CLI installs its signal handlers (after the last role, the
 * worker, has started; a signal before that ends the process the default way).
 */
async function started(proc: RunningProcess, base: string): Promise<void> {
  await waitForHttp(`${base}/health`, proc, 90_000);
  const deadline = Date.now() + 60_000;
  while (!/worker \S+ listening/.test(proc.output())) {
    if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`the worker did not start:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // closeOnSignals runs right after the role returns.
  await new Promise((r) => setTimeout(r, 200));
}

interface Outcome {
  email: string;
  sentAt: number;
  status: number | null;
  error?: string;
}

describe('graceful shutdown of wagate dev', () => {
  let dataDir = '';
  let proc: RunningProcess | undefined;

  afterAll(async () => {
    await proc?.stop('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every request accepted before SIGTERM, exits 0 in time, and loses no acknowledged write', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-sigterm-'));
    const port = await freeFixedPort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', WA_NETWORK: 'sandbox', ADMIN_EMAIL, ADMIN_PASSWORD, RATE_LIMIT_IP_PER_15_MIN: '0' };
    proc = startCli(['dev'], env);
    await started(proc, base);

    const outcomes: Outcome[] = [];
    let signalledAt = Number.POSITIVE_INFINITY;
    let n = 0;
    const client = async (): Promise<void> => {
      // Until the server stops answering: a refused connection ends this client.
      for (;;) {
        const email = `load-${++n}-${Date.now().toString(36)}@example.test`;
        const outcome: Outcome = { email, sentAt: Date.now(), status: null };
        outcomes.push(outcome);
        try {
          const res = await fetch(`${base}/api/v1/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, password: 'load-password-123' }),
          });
          outcome.status = res.status;
          await res.arrayBuffer();
        } catch (error) {
          outcome.error = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
          if (Date.now() > signalledAt) return;
        }
        if (Date.now() > signalledAt + 30_000) return;
      }
    };
    const clients = Array.from({ length: 8 }, () => client());
    // Let load build up, then signal while requests are in flight.
    while (outcomes.filter((o) => o.status === 201).length < 8) await new Promise((r) => setTimeout(r, 50));
    const inFlightAtSignal = () => outcomes.filter((o) => o.status === null && o.error === undefined).length;
    signalledAt = Date.now();
    const inFlight = inFlightAtSignal();
    const exited = proc.stop('SIGTERM');
    const code = await exited;
    const exitMs = Date.now() - signalledAt;
    await Promise.all(clients);

    expect(inFlight).toBeGreaterThan(0);
    expect(code, proc.output()).toBe(0);
    // The CLI's own bound is 25 s; a drain of in-flight sign-ups takes about a second.
    expect(exitMs).toBeLessThan(25_000);

    const accepted = outcomes.filter((o) => o.sentAt < signalledAt - ACCEPTED_MARGIN_MS);
    const failedAccepted = accepted.filter((o) => o.status === null || o.status >= 300);
    expect(failedAccepted, JSON.stringify(failedAccepted.slice(0, 5))).toEqual([]);
    // Whatever came later may be refused, but never as a 500.
    expect(outcomes.filter((o) => o.status !== null && o.status >= 500 && o.status !== 503)).toEqual([]);
    const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.email);
    expect(acknowledged.length).toBeGreaterThan(8);

    // Same DATA_DIR, new process: every acknowledged account exists.
    proc = startCli(['dev'], env);
    await started(proc, base);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const stored = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await fetch(`${base}/api/v1/admin/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
      expect(page.status).toBe(200);
      const body = (await page.json()) as { data: { email: string }[]; nextCursor: string | null };
      for (const u of body.data) stored.add(u.email);
      cursor = body.nextCursor;
    } while (cursor);
    const lost = acknowledged.filter((email) => !stored.has(email));
    expect(lost).toEqual([]);
    expect(await proc.stop('SIGTERM')).toBe(0);
    proc = undefined;
  }, 240_000);
});
