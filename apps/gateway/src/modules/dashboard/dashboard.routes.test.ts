import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

// A miniature export with the shape Next writes (pages as .html, RSC payloads, hashed assets),
// so these tests do not need `next build`.
const INLINE = '(self.__next_f=self.__next_f||[]).push([0])';
const page = (title: string) => `<!DOCTYPE html><html><head><title>${title}</title></head><body><script src="/_next/static/chunks/app.js" async></script><script>${INLINE}</script></body></html>`;

describe('dashboard static export served by the gateway', () => {
  let dir = '';
  let gw: TestGateway;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wagate-dashboard-'));
    await mkdir(join(dir, '_next/static/chunks'), { recursive: true });
    await mkdir(join(dir, 'sessions'), { recursive: true });
    await writeFile(join(dir, 'index.html'), page('home'));
    await writeFile(join(dir, '404.html'), page('not found'));
    await writeFile(join(dir, 'login.html'), page('login'));
    await writeFile(join(dir, 'login.txt'), 'rsc payload');
    await writeFile(join(dir, 'sessions.html'), page('sessions'));
    await writeFile(join(dir, 'sessions/view.html'), page('session detail'));
    await writeFile(join(dir, '_next/static/chunks/app.js'), 'console.log(1)');
    gw = await createTestGateway({ deps: { dashboardDir: dir } });
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the console at / with a CSP that allows exactly its inline scripts by hash', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<title>home</title>');
    const hash = createHash('sha256').update(INLINE).digest('base64');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers['x-dashboard-csp']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers clean URLs and nested pages from their .html files', async () => {
    expect((await gw.app.inject({ url: '/login' })).body).toContain('<title>login</title>');
    expect((await gw.app.inject({ url: '/sessions/view?id=ses_1' })).body).toContain('<title>session detail</title>');
    const rsc = await gw.app.inject({ url: '/login.txt' });
    expect(rsc.statusCode).toBe(200);
    expect(rsc.body).toBe('rsc payload');
  });

  it('serves hashed assets as immutable', async () => {
    const res = await gw.app.inject({ url: '/_next/static/chunks/app.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['content-type']).toContain('javascript');
  });

  it('falls back to the console not-found page for unknown client routes', async () => {
    const res = await gw.app.inject({ url: '/sessions/ses_123/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<title>not found</title>');
  });

  it('never serves files outside the export', async () => {
    for (const url of ['/_next/../../../etc/passwd', '/_next/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/sessions/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await gw.app.inject({ url });
      expect(res.body).not.toContain('root:');
    }
  });

  it('leaves the API, health and docs alone: unknown API paths stay problem+json 404, not 405', async () => {
    const get = await gw.app.inject({ url: '/api/v1/nope' });
    expect(get.statusCode).toBe(404);
    expect(get.headers['content-type']).toContain('application/problem+json');
    const post = await gw.app.inject({ method: 'POST', url: '/api/v1/nope' });
    expect(post.statusCode).toBe(404);
    expect((await gw.app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const docs = await gw.app.inject({ url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths as object).some((p) => p === '/' || p.startsWith('/login'))).toBe(false);
  });
});

describe('gateway without a dashboard export', () => {
  it('redirects / to the API documentation', async () => {
    const gw = await createTestGateway({ deps: { dashboardDir: null } });
    try {
      const res = await gw.app.inject({ url: '/' });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/docs');
    } finally {
      await gw.close();
    }
  });
});
