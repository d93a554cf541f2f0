// One HTTP POST to a customer endpoint: SSRF-guarded sockets, a hard timeout, redirects never
// followed (a 3xx is a failed attempt), and at most a few KiB of the response read.
import { Agent, buildConnector, request } from 'undici';
import { ForbiddenWebhookTargetError, guardedLookup, isForbiddenAddress, type SsrfPolicy } from './ssrf-guard.js';

export const DELIVERY_TIMEOUT_MS = 15_000;
/** Enough to show a receiver's error message in the delivery log, small enough that a hostile endpoint cannot make us buffer megabytes. */
export const RESPONSE_BODY_CAP_BYTES = 4 * 1024;

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
}

export type SendResult =
  | { ok: true; status: number; retryAfter: string | undefined; body: string; durationMs: number }
  /** No HTTP response: refused target, DNS, connect, TLS, timeout, or aborted. */
  | { ok: false; error: string; durationMs: number };

export interface WebhookSender {
  send(req: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface WebhookSenderOptions extends SsrfPolicy {
  timeoutMs?: number;
  bodyCapBytes?: number;
  userAgent?: string;
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const cap = options.bodyCapBytes ?? RESPONSE_BODY_CAP_BYTES;
  const connectBase = buildConnector({ timeout: Math.min(timeoutMs, 10_000), lookup: guardedLookup(options) });
  const agent = new Agent({
    connect: (connectOptions, callback) => {
      connectBase(connectOptions, (error, socket) => {
        if (error) return callback(error, null);
        // The last word: the peer this socket really reached (an IP-literal host skips lookup entirely).
        const remote = socket.remoteAddress;
        if (!options.allowPrivateNetworks && (!remote || isForbiddenAddress(remote))) {
          socket.destroy();
          return callback(new ForbiddenWebhookTargetError(`connected address ${remote ?? 'unknown'} is not allowed`), null);
        }
        callback(null, socket);
      });
    },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
    connections: 64,
  });

  return {
    async send(req) {
      const started = performance.now();
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      try {
        const url = new URL(req.url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ForbiddenWebhookTargetError('only http and https URLs are delivered');
        const response = await request(url, {
          method: 'POST',
          dispatcher: agent,
          signal,
          headers: { 'content-type': 'application/json', 'user-agent': options.userAgent ?? 'WAGate-Webhooks/1', ...req.headers },
          body: req.body,
        });
        let received = 0;
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of response.body) {
            const buf = chunk as Buffer;
            chunks.push(buf.subarray(0, Math.max(0, cap - received)));
            received += buf.length;
            if (received >= cap) break;
          }
        } catch {
          // A body that breaks off after the status line still gave us the status, which is what counts.
        } finally {
          response.body.destroy();
        }
        const retryAfter = response.headers['retry-after'];
        return {
          ok: true,
          status: response.statusCode,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          body: Buffer.concat(chunks).toString('utf8'),
          durationMs: performance.now() - started,
        };
      } catch (error) {
        const message =
          error instanceof ForbiddenWebhookTargetError || (error as Error).cause instanceof ForbiddenWebhookTargetError
            ? `refused: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`
            : timeout.aborted
              ? `timed out after ${timeoutMs} ms`
              : `${(error as Error).name}: ${(error as Error).message}`;
        return { ok: false, error: message.slice(0, 500), durationMs: performance.now() - started };
      }
    },
    async close() {
      await agent.destroy();
    },
  };
}
