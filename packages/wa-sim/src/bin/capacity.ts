/**
 * Capacity run: N Baileys companions paired (QR) and kept open against ONE simulator process.
 * Prints pairing time per session and the simulator's RSS as companions accumulate.
 *
 *   npx tsx packages/wa-sim/src/bin/capacity.ts [N=500] [concurrency=8]
 *
 * The simulator runs as a child process so its RSS is measured alone; the Baileys sockets live
 * in this process.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Browsers, initAuthCreds, makeCacheableSignalKeyStore, makeWASocket, WA_CERT_DETAILS } from 'baileys';
import type { AuthenticationCreds, WASocket } from 'baileys';
import pino from 'pino';
import { MemoryKeyStore } from '../network/memory-key-store.js';

// libsignal prints session noise straight to the console; this tool's output is its report.
// eslint-disable-next-line no-console -- silencing, not printing
for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) console[m] = () => undefined;
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const N = Number(process.argv[2] ?? 500);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const silent = pino({ level: 'silent' });

const child = spawn(process.execPath, ['--import', 'tsx', new URL('./run-simulator.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
// Never leave the simulator behind, whatever happens to this process.
process.on('exit', () => child.kill('SIGTERM'));
const info = await new Promise<{ url: string; controlUrl: string; rootPublicKey: string }>((resolve) => {
  createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l) as { url: string; controlUrl: string; rootPublicKey: string }));
});
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'base64');
const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  let res: Response | undefined;
  for (let attempt = 0; res === undefined; attempt++) {
    try {
      res = await fetch(`${info.controlUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

function open(creds: AuthenticationCreds, keys: MemoryKeyStore, onQr?: (qr: string) => void): Promise<{ sock: WASocket; status: number | undefined; opened: boolean }> {
  return new Promise((resolve) => {
    const sock = makeWASocket({
      waWebSocketUrl: info.url,
      auth: { creds, keys: makeCacheableSignalKeyStore(keys, silent) },
      logger: silent,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      shouldSyncHistoryMessage: () => false,
      browser: Browsers.ubuntu('Capacity'),
      connectTimeoutMs: 60_000,
    });
    sock.ev.on('creds.update', (u) => Object.assign(creds, u));
    sock.ev.on('connection.update', (u) => {
      if (u.qr !== undefined) onQr?.(u.qr);
      if (u.connection === 'open') resolve({ sock, status: undefined, opened: true });
      if (u.connection === 'close') resolve({ sock, status: (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode, opened: false });
    });
  });
}

const sockets: WASocket[] = [];
/** Disconnect reasons of sockets that closed after opening (none expected). */
const lateCloses = new Map<number | undefined, number>();
const times: number[] = [];
async function pairOne(i: number): Promise<void> {
  const started = Date.now();
  const phone = await control<{ phone: string }>('POST', '/phones', { pushName: `Cap ${i}` });
  const creds = initAuthCreds();
  const keys = new MemoryKeyStore();
  const first = await open(creds, keys, (qr) => void control('POST', `/phones/${phone.phone}/scan`, { qr }).catch(() => undefined));
  if (first.status !== 515) throw new Error(`session ${i}: expected 515, got ${first.status}`);
  const second = await open(creds, keys);
  if (!second.opened) throw new Error(`session ${i}: did not open (${second.status})`);
  sockets.push(second.sock);
  second.sock.ev.on('connection.update', (u) => {
    if (u.connection !== 'close') return;
    const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
    lateCloses.set(code, (lateCloses.get(code) ?? 0) + 1);
  });
  const ms = Date.now() - started;
  times.push(ms);
  out(`session ${String(i).padStart(4)} paired+open in ${ms} ms`);
}

const baseline = await control<{ rss: number }>('GET', '/stats');
out(`-- 0 companions: simulator RSS ${(baseline.rss / 1048576).toFixed(1)} MB (baseline)`);
const t0 = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      const i = next++;
      await pairOne(i);
      if ((i + 1) % 50 === 0) {
        const stats = await control<{ rss: number; live: number }>('GET', '/stats');
        out(`-- ${i + 1} companions: simulator RSS ${(stats.rss / 1048576).toFixed(1)} MB, live sockets ${stats.live}`);
      }
    }
  }),
);
await new Promise((r) => setTimeout(r, 2000));
const stats = await control<{ rss: number; live: number; companions: number }>('GET', '/stats');
const sorted = [...times].sort((a, b) => a - b);
out(
  `== ${N} companions in ${((Date.now() - t0) / 1000).toFixed(1)} s (concurrency ${CONCURRENCY}); pairing p50 ${sorted[Math.floor(N / 2)]} ms, p95 ${sorted[Math.floor(N * 0.95)]} ms; ` +
    `simulator RSS ${(stats.rss / 1048576).toFixed(1)} MB with ${stats.live} live sockets; this process RSS ${(process.memoryUsage().rss / 1048576).toFixed(1)} MB`,
);
out(`== sockets that closed after opening, by reason: ${JSON.stringify(Object.fromEntries(lateCloses))}`);
for (const s of sockets) s.end(undefined);
child.kill('SIGTERM');
process.exit(0);
