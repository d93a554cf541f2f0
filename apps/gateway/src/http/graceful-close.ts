// SIGTERM drain of the HTTP side. Fastify's close stops accepting, answers new requests on open
// connections with 503, and waits for in-flight ones; but it closes idle keep-alive sockets only
// once, at the start. A request that finishes afterwards leaves its socket open and idle, and
// server.close() then waits out keepAliveTimeout (72 s), far beyond any termination grace period.
// So while closing, every response ends its connection, and idle sockets are swept repeatedly.
import type { FastifyInstance } from 'fastify';

export function registerGracefulClose(app: FastifyInstance, sweepMs = 100): void {
  let closing = false;
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    sweep = setInterval(() => app.server.closeIdleConnections(), sweepMs);
    sweep.unref();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onClose', async () => {
    if (sweep) clearInterval(sweep);
  });
}
