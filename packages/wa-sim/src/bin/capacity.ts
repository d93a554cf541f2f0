/**
 * Capacity run: N Baileys companions paired (QR) and kept open against ONE simulator process.
 * Prints pairing time per session and the simulator's RSS as companions accumulate.
 *
 *   npx tsx packages/wa-sim/src/bin/capacity.ts [N=500] [concurrency per client=2] [clients=4]
 *
 * The simulator runs as its own child process so its RSS is measured alone. The Baileys sockets
 * are spread over several client processes: a Node process generating 812 pre-keys per pairing
 * blocks its event loop long enough for its *idle* sockets to miss Baileys' keep-alive window.
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
const self = new URL(import.meta.url).pathname;

interface SimInfo {
  url: string;
  controlUrl: string;
  rootPublicKey: string;
}

async function control<T>(info: SimInfo, method: string, path: string, body?: unknown): Promise<T> {
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
}

/** Worker mode: pair `count` companions, keep them open, report each as a line. */
async function runClient(info: SimInfo, first: number, count: number, concurrency: number): Promise<void> {
  const silent = pino({ level: 'silent' });
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'base64');
  const sockets: WASocket[] = [];
  const open = (creds: AuthenticationCreds, keys: MemoryKeyStore, onQr?: (qr: string) => void) =>
    new Promise<{ sock: WASocket; status: number | undefined; opened: boolean }>((resolve) => {
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
        const status = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
        if (u.connection === 'open') resolve({ sock, status: undefined, opened: true });
        if (u.connection === 'close') resolve({ sock, status, opened: false });
      });
    });
  let next = first;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < first + count) {
        const i = next++;
        const started = Date.now();
        const phone = await control<{ phone: string }>(info, 'POST', '/phones', { pushName: `Cap ${i}` });
        const creds = initAuthCreds();
        const keys = new MemoryKeyStore();
        const pairing = await open(creds, keys, (qr) => void control(info, 'POST', `/phones/${phone.phone}/scan`, { qr }).catch(() => undefined));
        if (pairing.status !== 515) throw new Error(`session ${i}: expected 515, got ${pairing.status}`);
        const session = await open(creds, keys);
        if (!session.opened) throw new Error(`session ${i}: did not open (${session.status})`);
        sockets.push(session.sock);
        session.sock.ev.on('connection.update', (u) => {
          if (u.connection !== 'close') return;
          const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
          out(`late-close ${i} ${code ?? 'unknown'}`);
        });
        out(`paired ${i} ${Date.now() - started}`);
      }
    }),
  );
  out('done');
  // Stay connected until the coordinator ends us.
  await new Promise(() => undefined);
}

async function coordinate(n: number, concurrency: number, clients: number): Promise<void> {
  const sim = spawn(process.execPath, ['--import', 'tsx', new URL('./run-simulator.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const children = [sim];
  // Never leave processes behind, whatever happens to this one.
  process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));
  const infoLine = await new Promise<string>((resolve) => createInterface({ input: sim.stdout }).once('line', resolve));
  const info = JSON.parse(infoLine) as SimInfo;
  const stats = (): Promise<{ rss: number; live: number }> => control(info, 'GET', '/stats');
  out(`-- 0 companions: simulator RSS ${((await stats()).rss / 1048576).toFixed(1)} MB (baseline)`);
  const times: number[] = [];
  const lateCloses: string[] = [];
  let done = 0;
  const t0 = Date.now();
  const per = Math.ceil(n / clients);
  await Promise.all(
    Array.from({ length: clients }, (_, k) => {
      const first = k * per;
      const count = Math.max(0, Math.min(per, n - first));
      const child = spawn(process.execPath, ['--import', 'tsx', self, '--client', infoLine, String(first), String(count), String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`client ${k} exited with ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const [kind, i, value] = line.split(' ');
          if (kind === 'paired') {
            times.push(Number(value));
            out(`session ${i!.padStart(4)} paired+open in ${value} ms`);
            if (++done % 50 === 0) {
              void stats().then((s) => out(`-- ${done} companions: simulator RSS ${(s.rss / 1048576).toFixed(1)} MB, live sockets ${s.live}`));
            }
          } else if (kind === 'late-close') lateCloses.push(value ?? '?');
          else if (kind === 'done') resolve();
        });
      });
    }),
  );
  await new Promise((r) => setTimeout(r, 3000));
  const s = await stats();
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  out(
    `== ${n} companions in ${((Date.now() - t0) / 1000).toFixed(1)} s (${clients} client processes × ${concurrency}); pairing+open p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms; ` +
      `simulator RSS ${(s.rss / 1048576).toFixed(1)} MB with ${s.live} live sockets; sockets closed after opening: ${lateCloses.length} ${JSON.stringify(lateCloses.slice(0, 10))}`,
  );
  process.exit(0);
}

if (process.argv[2] === '--client') {
  await runClient(JSON.parse(process.argv[3]!) as SimInfo, Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]));
} else {
  await coordinate(Number(process.argv[2] ?? 500), Number(process.argv[3] ?? 2), Number(process.argv[4] ?? 4));
}
