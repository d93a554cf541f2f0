// Issue 9 "Done when": the dashboard in a real browser (playwright-core driving Debian's chromium)
// against a real `wagate dev` on the sandbox network — the whole newcomer journey without a phone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeFixedPort } from '../e2e/support/journey.js';
import { repoRoot, startCli, waitForHttp, type RunningProcess } from '../e2e/support/processes.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = join(repoRoot, 'tests/browser/screenshots');
const ADMIN = { email: 'admin@wagate.test', password: 'admin-password-123' };

/** CI builds first; a bare `npx vitest` on a fresh clone builds the export here. */
function ensureDashboardExport(): void {
  if (existsSync(join(repoRoot, 'apps/dashboard/out/index.html'))) return;
  const r = spawnSync('npm', ['run', 'build', '-w', 'apps/dashboard'], { cwd: repoRoot, stdio: 'pipe', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dashboard build failed:\n${r.stdout}\n${r.stderr}`);
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('dashboard in chromium against wagate dev (sandbox network)', () => {
  let dataDir = '';
  let base = '';
  let proc: RunningProcess;
  let browser: Browser;
  let receiver: Server;
  let hookUrl = '';
  const received: Received[] = [];
  const browserErrors: string[] = [];

  beforeAll(async () => {
    ensureDashboardExport();
    await mkdir(SHOTS, { recursive: true });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end('ok');
      });
    });
    const hookPort = await freeFixedPort();
    await new Promise<void>((resolve) => receiver.listen(hookPort, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${hookPort}/hook`;

    dataDir = await mkdtemp(join(tmpdir(), 'wagate-browser-'));
    const port = await freeFixedPort();
    base = `http://127.0.0.1:${port}`;
    proc = startCli(['dev'], {
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      WA_NETWORK: 'sandbox',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      PACER_MIN_INTERVAL_MS: '0',
      PACER_JITTER_MS: '0',
    });
    const [launched] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_FLAGS }), waitForHttp(`${base}/health`, proc, 90_000)]);
    browser = launched;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await proc?.stop();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: base });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => browserErrors.push(`pageerror: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') browserErrors.push(`console: ${msg.text()}`);
    });
    return page;
  }
  /** A full page load, then wait for hydration: input typed before React takes over is lost. */
  async function open(page: Page, path: string): Promise<void> {
    await page.goto(path);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('walks sign up → session → QR scanned by a virtual phone → messages both ways → webhook delivery', async () => {
    const page = await newPage();
    try {
      await open(page, '/');
      await page.waitForURL(/\/login/);
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.waitForURL(/\/signup/);
      await page.getByRole('heading', { name: 'Create your account' }).waitFor();
      await page.getByLabel('Email').fill('newcomer@example.com');
      await page.getByLabel('Password').fill('a-good-password');
      await shot(page, '01-signup');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL(/\/sessions$/);

      // Two virtual phones, the newcomer's stand-ins for real ones: the owner's phone links the
      // session (so the session gets its number); the customer's phone chats with it.
      await page.getByRole('link', { name: 'Sandbox' }).click();
      const phones: string[] = [];
      for (const name of ['Owner', 'Customer']) {
        await page.getByLabel('Name (optional)').fill(name);
        await page.getByRole('button', { name: 'Create virtual phone' }).click();
        const card = page.getByRole('region', { name: `Virtual phone ${name}` });
        await card.waitFor();
        phones.push((await card.getAttribute('data-phone'))!);
      }
      const [ownerPhone, virtualPhone] = phones as [string, string];
      expect(virtualPhone).toMatch(/^\+?\d{7,15}$/);

      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.getByRole('heading', { name: 'New session' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Support line');
      await page.getByRole('button', { name: 'Create session' }).click();
      const key = await page.getByTestId('secret-value').inputValue();
      expect(key.length).toBeGreaterThan(20);
      await shot(page, '02-session-created');
      await page.getByRole('link', { name: 'Connect it now' }).click();
      await page.waitForURL(/\/sessions\/view\?id=/);

      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      const qr = page.getByTestId('qr-image');
      await qr.waitFor();
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      await shot(page, '03-qr');
      await page.getByLabel('Virtual phone').selectOption(ownerPhone);
      await page.getByRole('button', { name: 'Scan with a virtual phone' }).click();
      await page.locator('.page-head [data-status="CONNECTED"]').waitFor({ timeout: 30_000 });
      await expect.poll(async () => (await page.getByTestId('session-phone').textContent())?.replace(/\D/g, '')).toBe(ownerPhone.replace(/\D/g, ''));
      await shot(page, '04-connected');

      await page.getByRole('tab', { name: 'Messages' }).click();
      await page.getByLabel('To').fill(virtualPhone!);
      await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Hello from the dashboard');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByText(/Queued message/).waitFor();

      await page.getByRole('link', { name: 'Sandbox' }).click();
      const card = page.locator(`[data-phone="${virtualPhone}"]`);
      await card.getByText('Hello from the dashboard').waitFor({ timeout: 30_000 });
      await card.getByRole('textbox', { name: 'Message', exact: true }).fill('Hi, this is the customer');
      await card.getByRole('button', { name: 'Send from this phone' }).click();
      await card.getByText('Hi, this is the customer').waitFor();
      await shot(page, '05-sandbox-inbox');

      await page.goBack();
      await page.waitForURL(/\/sessions\/view\?id=/);
      await page.getByRole('tab', { name: 'Messages' }).click();
      const conversation = page.getByTestId('conversation');
      await conversation.getByText('Hi, this is the customer').waitFor({ timeout: 30_000 });
      await conversation.getByText('Hello from the dashboard').waitFor();
      // The reply is the customer's (left), the test message ours (right).
      expect(await conversation.locator('.bubble:not(.me)').getByText('Hi, this is the customer').count()).toBe(1);
      expect(await conversation.locator('.bubble.me').getByText('Hello from the dashboard').count()).toBe(1);
      await shot(page, '06-conversation');

      await page.getByRole('tab', { name: 'Webhooks' }).click();
      await page.getByLabel('Endpoint URL').fill(hookUrl);
      await page.getByRole('button', { name: 'Create webhook' }).click();
      expect(await page.getByTestId('secret-value').inputValue()).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Send test event' }).click();
      const deliveries = page.getByTestId('deliveries');
      await deliveries.locator('[data-status="SUCCEEDED"]').first().waitFor({ timeout: 30_000 });
      await expect.poll(() => received.length).toBeGreaterThan(0);
      expect(received[0]!.headers['webhook-signature']).toMatch(/^v1,/);
      await shot(page, '07-webhooks');

      await page.getByRole('link', { name: 'Account & usage' }).click();
      await page.locator('canvas').first().waitFor();
      await page.getByText(/messages and .* API calls per hour/).waitFor();
      await shot(page, '08-account-usage');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login/);
      expect(browserErrors.filter((e) => /Content Security Policy|pageerror/.test(e))).toEqual([]);
    } catch (error) {
      await shot(page, 'failure-journey').catch(() => undefined);
      process.stdout.write(`--- browser errors ---\n${browserErrors.join('\n')}\n--- wagate dev output ---\n${proc.output().slice(-4000)}\n`);
      throw error;
    } finally {
      await page.context().close();
    }
  }, 150_000);

  it('shows the admin the worker fleet, users, logs and platform stats', async () => {
    const page = await newPage();
    try {
      await open(page, '/login');
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/sessions$/);
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByText('Workers online').waitFor();
      await shot(page, '09-admin-overview');
      await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Workers' }).click();
      const workers = page.getByTestId('workers');
      await workers.locator('[data-status="ONLINE"]').first().waitFor();
      await expect.poll(async () => workers.locator('tbody tr').count()).toBeGreaterThan(0);
      await shot(page, '10-admin-workers');
      await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
      await page.getByRole('cell', { name: ADMIN.email, exact: true }).waitFor();
      await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Logs' }).click();
      await page.getByRole('heading', { name: 'System logs' }).waitFor();
      await shot(page, '11-admin-logs');
    } catch (error) {
      await shot(page, 'failure-admin').catch(() => undefined);
      process.stdout.write(`--- browser errors ---\n${browserErrors.join('\n')}\n`);
      throw error;
    } finally {
      await page.context().close();
    }
  }, 90_000);
});
