// GET /metrics of the composed gateway after real traffic: HTTP, a 429, sessions and workers from
// the database, events from a registered worker (ingest lag, inbound messages) and a webhook
// delivered to a local receiver.
import { newEventId, type EventEnvelope } from '@wagate/contracts';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';
import { startReceiver, until, type Receiver } from '../webhooks/webhook-test-kit.js';
import { createGatewayMetrics } from './gateway-metrics.js';

/** Parses the text exposition into `name{labels}` → value (labels as written, sorted by prom-client). */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

describe('GET /metrics', () => {
  let gw: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    gw = await createTestGateway({
      config: { RATE_LIMIT_IP_PER_15_MIN: '40', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '50' },
      deps: { metrics: { cacheMs: 0, processMetrics: false } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  const scrape = async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return { text: res.body, series: parse(res.body) };
  };

  it('counts requests by route template and status, with latency histograms', async () => {
    const user = await gw.signUp();
    for (let i = 0; i < 3; i++) {
      const res = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/ses_missing${i}`, headers: gw.auth(user.token) });
      expect(res.statusCode).toBe(404);
    }
    await gw.app.inject({ method: 'GET', url: '/no/such/path' });
    const { series, text } = await scrape();
    // Three raw URLs, one template: the label never carries an id.
    expect(series.get('wagate_http_requests_total{method="GET",route="/api/v1/sessions/:id",status="404"}')).toBe(3);
    expect(text).not.toContain('ses_missing');
    expect(series.get('wagate_http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(1);
    expect(series.get('wagate_http_request_duration_seconds_count{method="GET",route="/api/v1/sessions/:id"}')).toBe(3);
    const sum = series.get('wagate_http_request_duration_seconds_sum{method="GET",route="/api/v1/sessions/:id"}')!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(30);
    expect(series.get('wagate_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/sessions/:id"}')).toBe(3);
  });

  it('reads sessions and workers by status from the database, and counts events, inbound messages, ingest lag and webhook outcomes', async () => {
    const user = await gw.signUp();
    const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: gw.auth(user.token), payload: { name: 'metrics' } });
    expect(created.statusCode).toBe(201);
    const sessionId = created.json().session.id as string;

    const registered = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/internal/workers/register',
      headers: { authorization: `Bearer ${gw.config.WORKER_TOKEN}` },
      payload: { endpoint: 'http://127.0.0.1:9/', maxSessions: 10, version: 'test' },
    });
    expect(registered.statusCode, registered.body).toBeLessThan(300);
    const { workerId, token } = registered.json() as { workerId: string; token: string };
    // Placed on that worker as connect would leave it (connect itself needs a live worker).
    await gw.db.update(schema.sessions).set({ workerId, epoch: 1, status: 'CONNECTED' }).where(eq(schema.sessions.id, sessionId));

    const hook = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${sessionId}/webhooks`, headers: gw.auth(user.token), payload: { url: receiver.url, events: ['message.received'] } });
    expect(hook.statusCode, hook.body).toBe(201);

    const before = parse((await scrape()).text);
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const received = (type: string, msAgo: number): EventEnvelope =>
      ({
        id: newEventId(), sessionId, workerId, epoch: 1, createdAt: at(msAgo), type: 'message.received',
        data: { message: { id: `M${Math.random().toString(36).slice(2)}`, sessionId, chatId: '6281111111111@s.whatsapp.net', from: '6281111111111@s.whatsapp.net', to: 'me', fromMe: false, type, text: 'hi', status: 'DELIVERED', timestamp: at(msAgo) } },
      }) as EventEnvelope;
    const batch = [received('text', 2000), received('text', 2000), received('image', 2000)];
    const ingest = await gw.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: { authorization: `Bearer ${token}` }, payload: { events: batch } });
    expect(ingest.statusCode, ingest.body).toBe(200);
    expect(ingest.json().acknowledged).toHaveLength(3);
    // A redelivered event is acknowledged again but is not a new message.
    await gw.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: { authorization: `Bearer ${token}` }, payload: { events: [batch[0]] } });
    await receiver.waitFor(3);
    await until(async () => (parse((await scrape()).text).get('wagate_webhook_deliveries_total{outcome="delivered"}') ?? 0) >= 3);

    const { series } = await scrape();
    expect(series.get('wagate_sessions{status="CONNECTED"}')).toBe((before.get('wagate_sessions{status="CONNECTED"}') ?? 0));
    expect(series.get('wagate_sessions{status="CONNECTED"}')).toBeGreaterThanOrEqual(1);
    expect(series.get('wagate_sessions{status="FAILED"}')).toBe(0);
    expect(series.get('wagate_workers{status="ONLINE"}')).toBeGreaterThanOrEqual(1);
    expect(series.get('wagate_messages_total{direction="inbound",type="text"}')).toBe(2);
    expect(series.get('wagate_messages_total{direction="inbound",type="image"}')).toBe(1);
    expect(series.get('wagate_events_ingested_total{type="message.received"}')).toBe(3);
    expect(series.get('wagate_event_ingest_lag_seconds_count{type="message.received"}')).toBe(3);
    // Created 2 s before the post: every observation is at least that, and not absurdly more.
    expect(series.get('wagate_event_ingest_lag_seconds_bucket{le="1",type="message.received"}')).toBe(0);
    const lag = series.get('wagate_event_ingest_lag_seconds_sum{type="message.received"}')! / 3;
    expect(lag).toBeGreaterThanOrEqual(2);
    expect(lag).toBeLessThan(15);
    expect(series.get('wagate_webhook_deliveries_total{outcome="delivered"}')).toBe(3);
    expect(series.get('wagate_webhook_attempt_duration_seconds_count')).toBe(3);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/metrics']?.get).toBeDefined();
  });

  it('counts 429 rejections by code and route', async () => {
    // The per-address budget is 40 per 15 minutes here; earlier tests used part of it.
    let limited = 0;
    for (let i = 0; i < 45; i++) {
      const res = await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
      if (res.statusCode === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
    const { series } = await scrape();
    expect(series.get('wagate_rate_limit_rejections_total{route="/api/v1/auth/me",code="RATE_LIMITED"}')).toBe(limited);
    expect(series.get('wagate_http_requests_total{method="GET",route="/api/v1/auth/me",status="429"}')).toBe(limited);
  });

  it('still answers, without credentials, once the per-address budget is spent', async () => {
    for (let i = 0; i < 5; i++) expect((await gw.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

});

describe('gateway metrics registry', () => {
  it('counts outbound messages by type from usage, and ignores other usage metrics', async () => {
    const gw = await createTestGateway({ deps: { metrics: { processMetrics: false } } });
    try {
      const metrics = createGatewayMetrics({ db: gw.db, processMetrics: false });
      metrics.observeUsage({ metric: 'messages.sent.text', count: 2 });
      metrics.observeUsage({ metric: 'messages.sent.document' });
      metrics.observeUsage({ metric: 'messages.sent' });
      metrics.observeUsage({ metric: 'api.calls', count: 5 });
      const series = parse(await metrics.render());
      expect(series.get('wagate_messages_total{direction="outbound",type="text"}')).toBe(2);
      expect(series.get('wagate_messages_total{direction="outbound",type="document"}')).toBe(1);
      expect([...series.keys()].filter((k) => k.startsWith('wagate_messages_total'))).toHaveLength(2);
    } finally {
      await gw.close();
    }
  });

  it('keeps each app’s numbers apart', async () => {
    const a = await createTestGateway({ deps: { metrics: { processMetrics: false } } });
    const b = await createTestGateway({ deps: { metrics: { processMetrics: false } } });
    try {
      await a.app.inject({ method: 'GET', url: '/health' });
      await a.app.inject({ method: 'GET', url: '/health' });
      const fromB = parse((await b.app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(fromB.get('wagate_http_requests_total{method="GET",route="/health",status="200"}')).toBeUndefined();
      const fromA = parse((await a.app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(fromA.get('wagate_http_requests_total{method="GET",route="/health",status="200"}')).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
