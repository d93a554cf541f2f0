// The dashboard's static export (apps/dashboard/out) served at /. Routes are registered per
// top-level entry of the export instead of one `/*` wildcard: a wildcard would make every path
// "exist" for GET, so the not-found handler would answer 405 instead of 404 for unknown API paths.
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DashboardRoutesOptions {
  /** Absolute directory of the Next.js static export (contains index.html). */
  root: string;
}

/** apps/dashboard/out beside this package (same depth from src/ and dist/), or null before a build. */
export function defaultDashboardDir(): string | null {
  const dir = fileURLToPath(new URL('../../../../dashboard/out/', import.meta.url));
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

/** Paths other modules own: the dashboard never answers under them. */
const RESERVED = new Set(['api', 'docs', 'health', 'metrics']);

// Next's export bootstraps React with inline <script> tags; the gateway's CSP allows only 'self'
// scripts, so each page's CSP lists the SHA-256 of exactly its own inline scripts.
const INLINE_SCRIPT = /<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g;
function pageCsp(html: string): string {
  const hashes = new Set<string>();
  for (const match of html.matchAll(INLINE_SCRIPT)) {
    const body = match[1] ?? '';
    if (body.length > 0) hashes.add(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
  }
  return [
    "default-src 'self'",
    `script-src 'self' ${[...hashes].join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

interface Page {
  html: string;
  csp: string;
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, { root }) => {
  // `serve: false`: only reply.sendFile (streaming, ETag, ranges) is used, from our own routes.
  await app.register(fastifyStatic, { root, serve: false });

  const pages = new Map<string, Page>();
  const page = (file: string): Page => {
    let cached = pages.get(file);
    if (!cached) {
      const html = readFileSync(join(root, file), 'utf8');
      cached = { html, csp: pageCsp(html) };
      pages.set(file, cached);
    }
    return cached;
  };
  const isFile = (relative: string): boolean => {
    try {
      return statSync(join(root, relative)).isFile();
    } catch {
      return false;
    }
  };

  /** URL path → a file of the export: exact, `.html` (clean URLs), `index.html`, or null. */
  const resolve = (urlPath: string): string | null => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    const relative = normalize(decoded).replace(/^[/\\]+/, '').replace(/[/\\]+$/, '');
    if (relative.startsWith('..') || relative.includes(`${sep}..`) || relative.includes('\0')) return null;
    if (relative === '') return 'index.html';
    for (const candidate of [relative, `${relative}.html`, join(relative, 'index.html')]) if (isFile(candidate)) return candidate;
    return null;
  };

  const sendPage = (reply: FastifyReply, file: string, status = 200) => {
    const { html, csp } = page(file);
    // Pages are small and change on every build; assets under /_next are content-hashed instead.
    return reply.status(status).header('cache-control', 'no-cache').header('x-dashboard-csp', csp).type('text/html; charset=utf-8').send(html);
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const urlPath = request.url.split('?')[0] ?? '/';
    const file = resolve(urlPath);
    if (file === null) {
      // A client route the export has no file for: the dashboard's own not-found page.
      if (isFile('404.html')) return sendPage(reply, '404.html', 404);
      return reply.callNotFound();
    }
    if (file.endsWith('.html')) return sendPage(reply, file);
    const immutable = file.startsWith(`_next${sep}static${sep}`);
    return reply.sendFile(file, { cacheControl: true, maxAge: immutable ? 31_536_000_000 : 0, immutable });
  };

  // Route-level onSend runs after the app's security-header hook, so the page CSP replaces the default.
  const onSend = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const csp = reply.getHeader('x-dashboard-csp');
    if (typeof csp === 'string') {
      reply.header('content-security-policy', csp);
      reply.removeHeader('x-dashboard-csp');
    }
    return payload;
  };
  const options = { schema: { hide: true }, onSend };

  app.get('/', options, handler);
  for (const entry of readdirSync(root)) {
    const name = entry.replace(/\.html$/, '');
    if (RESERVED.has(name) || name === 'index') continue;
    if (statSync(join(root, entry)).isDirectory()) {
      app.get(`/${entry}`, options, handler);
      app.get(`/${entry}/*`, options, handler);
    } else {
      app.get(`/${entry}`, options, handler);
      if (name !== entry && !existsSync(join(root, name))) app.get(`/${name}`, options, handler);
    }
  }
};
