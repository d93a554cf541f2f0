// GET /api/v1/sessions/:id/events — Server-Sent Events of a session's status, QR and pairing code.
// The stream is fed by the Coordinator's pub/sub, so it works whichever replica ingests the events.
import { newEventId, sessionParams } from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser, type Authenticator } from '../../http/authenticate.js';
import { applySecurityHeaders } from '../../http/security-headers.js';
import { LIVE_EVENT_TYPES, sessionEventsChannel, type LiveSessionEvent } from './session-live.js';
import { sessionView } from './session-view.js';
import type { SessionsService } from './sessions.service.js';
import { actorOf } from './sessions.routes.js';

export interface SessionLiveRoutesOptions {
  service: SessionsService;
  authenticator: Authenticator;
  coordinator: Coordinator;
  /** Comment lines that keep proxies from closing an idle stream; default 15 s. */
  heartbeatMs?: number;
}

/** One SSE frame. `data` is JSON on one line, so no payload can inject a frame of its own. */
function frame(event: { id: string; type: string }, data: unknown): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const sessionLiveRoutes: FastifyPluginAsyncZod<SessionLiveRoutesOptions> = async (app, options) => {
  const { service, coordinator } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  /** Open streams, ended before the server closes (an open SSE response would hold close() forever). */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/api/v1/sessions/:id/events',
    {
      preHandler: requireUser(options.authenticator),
      schema: {
        tags: ['sessions'],
        security: [{ bearer: [] }],
        summary: 'Live status as text/event-stream: first the current status (and QR), then session.status, session.qr, session.pairing_code, webhook.disabled and session.deleted events',
        produces: ['text/event-stream'],
        params: sessionParams,
        response: { 200: z.string().describe('text/event-stream frames; `data` is the webhook payload of the event (JSON)') },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const sessionId = request.params.id;
      // Ownership first (404 as problem+json, before any stream starts).
      await service.get(actor, sessionId);

      // Subscribe before reading the snapshot, so a change landing in between is not lost;
      // what arrives before the head is written waits in `pending`.
      let raw: ServerResponse | null = null;
      const pending: string[] = [];
      let ended = false;
      const send = (chunk: string) => {
        if (ended) return;
        if (raw === null) pending.push(chunk);
        else raw.write(chunk);
      };
      let deleted = false;
      // Replaced by the real teardown once the stream is open.
      let end: () => void = () => undefined;
      const unsubscribe = await coordinator.subscribe(sessionEventsChannel(sessionId), (message) => {
        let event: LiveSessionEvent;
        try {
          event = JSON.parse(message) as LiveSessionEvent;
        } catch {
          return;
        }
        if (!LIVE_EVENT_TYPES.has(event.type)) return;
        send(frame(event, event));
        if (event.type === 'session.deleted') {
          deleted = true;
          end();
        }
      });

      let snapshot;
      try {
        snapshot = await service.liveSnapshot(actor, sessionId);
      } catch (error) {
        await unsubscribe();
        throw error;
      }

      reply.hijack();
      // Hijacked replies skip onSend, where the security headers are normally added.
      applySecurityHeaders(reply);
      raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx buffers responses unless told otherwise.
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 3000\n\n');
      const createdAt = new Date().toISOString();
      const status = { id: newEventId(), type: 'session.status', createdAt, sessionId, data: { status: snapshot.row.status, phoneNumber: snapshot.row.phoneNumber, session: sessionView(snapshot.row, { admin: actor.role === 'ADMIN' }) } };
      raw.write(frame(status, status));
      if (snapshot.qr) {
        const qr = { id: newEventId(), type: 'session.qr', createdAt, sessionId, data: snapshot.qr };
        raw.write(frame(qr, qr));
      }
      if (snapshot.pairingCode) {
        const code = { id: newEventId(), type: 'session.pairing_code', createdAt, sessionId, data: snapshot.pairingCode };
        raw.write(frame(code, code));
      }
      for (const chunk of pending.splice(0)) raw.write(chunk);

      const heartbeat = setInterval(() => raw?.write(': keep-alive\n\n'), heartbeatMs);
      heartbeat.unref();
      const response = raw;
      end = () => {
        if (ended) return;
        ended = true;
        open.delete(end);
        clearInterval(heartbeat);
        unsubscribe().catch((error: unknown) => request.log.warn({ err: error, sessionId }, 'Unsubscribing a live stream failed'));
        if (!response.writableEnded) response.end();
      };
      open.add(end);
      response.on('close', end);
      // A deletion that arrived before the stream was open ends it now that its frame is out.
      if (deleted) end();
    },
  );
};
