import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { SimCore } from '../core/sim-core.js';
import { Connection } from './connection.js';

export interface WaServer {
  http: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * The chat endpoint (`/ws/chat`) on a plain HTTP server; other HTTP requests go to `onRequest`
 * (the control API shares the port).
 */
export async function startWaServer(
  core: SimCore,
  options: { host: string; port: number; onRequest?: (req: IncomingMessage, res: ServerResponse) => void },
): Promise<WaServer> {
  const http = createServer((req, res) => {
    if (options.onRequest !== undefined) options.onRequest(req, res);
    else res.writeHead(404).end();
  });
  // Control-API clients keep connections alive; outlive their idle timers (undici: 4 s) so a
  // reused socket is never closed under a request.
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const wss = new WebSocketServer({ server: http, path: '/ws/chat', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    const record = core.registry.openConnection();
    const conn = new Connection(ws, record, core.pki, core, core.logger);
    core.connections.set(conn.id, conn);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  return {
    http,
    port,
    close: async () => {
      for (const conn of core.connections.values()) conn.terminate('simulator closed');
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
