import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/**
 * A fixed self-signed certificate for 127.0.0.1/localhost (committed under `certs/`): node:crypto
 * cannot mint X.509 certificates, and a child `openssl` at runtime would be one more moving part.
 * Clients trust it as an extra CA (see `mediaCa`), never by turning TLS checks off.
 */
const certUrl = new URL('../../certs/media-host.crt', import.meta.url);
const keyUrl = new URL('../../certs/media-host.key', import.meta.url);

export interface MediaHost {
  hostname: string;
  port: number;
  certPem: string;
  auth: string;
  /** Stored (encrypted) blobs by direct path. */
  readonly blobs: Map<string, Buffer>;
  /** Stores a blob as if uploaded; returns Baileys' `{ mediaUrl, directPath }`. */
  put(body: Buffer, mediaPath?: string): { mediaUrl: string; directPath: string };
  close(): Promise<void>;
}

export async function startMediaHost(options: { host: string; port: number; logger: Logger }): Promise<MediaHost> {
  const certPem = readFileSync(certUrl, 'utf8');
  const keyPem = readFileSync(keyUrl, 'utf8');
  const blobs = new Map<string, Buffer>();
  const auth = randomBytes(16).toString('base64url');
  let base = '';
  const put = (body: Buffer, mediaPath = '/mms/file'): { mediaUrl: string; directPath: string } => {
    const id = randomBytes(12).toString('hex');
    const directPath = `/v/t62.7118-24/${mediaPath.split('/').pop() ?? 'file'}-${id}.enc?ccb=11-4&oh=sim`;
    blobs.set(directPath.split('?')[0]!, body);
    return { mediaUrl: `${base}${directPath}`, directPath };
  };
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://media');
    if (req.method === 'POST' && url.pathname.startsWith('/mms/')) {
      if (url.searchParams.get('auth') !== auth) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad auth' }));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { mediaUrl, directPath } = put(Buffer.concat(chunks), url.pathname.split('/').slice(0, 3).join('/'));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: mediaUrl, direct_path: directPath }));
      });
      return;
    }
    if (req.method === 'GET') {
      const blob = blobs.get(url.pathname);
      if (blob === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length }).end(blob);
      return;
    }
    res.writeHead(405).end();
  });
  server.on('tlsClientError', (err) => options.logger.debug({ err }, 'Media host TLS error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostname = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  base = `https://${hostname}:${port}`;
  return {
    hostname,
    port,
    certPem,
    auth,
    blobs,
    put,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
