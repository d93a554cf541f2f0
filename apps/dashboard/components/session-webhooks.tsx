'use client';
import { useState } from 'react';
import { api } from '@/lib/api';
import { formatTime, useLoad, useAction } from '@/lib/hooks';
import { EVENT_TYPES, type List, type Webhook, type WebhookDelivery } from '@/lib/types';
import { ConfirmDialog, Empty, ErrorAlert, Loading, Notice, SecretReveal, StatusBadge } from './ui';

function EventChecks({ value, onChange, idPrefix }: { value: string[]; onChange: (v: string[]) => void; idPrefix: string }) {
  return (
    <fieldset className="checks">
      <legend>Events</legend>
      {EVENT_TYPES.map((type) => (
        <label key={type} htmlFor={`${idPrefix}-${type}`}>
          <input
            id={`${idPrefix}-${type}`}
            type="checkbox"
            checked={value.includes(type)}
            onChange={(e) => onChange(e.target.checked ? [...value, type] : value.filter((t) => t !== type))}
          />
          {type}
        </label>
      ))}
    </fieldset>
  );
}

export function SessionWebhooks({ sessionId }: { sessionId: string }) {
  const base = `/api/v1/sessions/${encodeURIComponent(sessionId)}/webhooks`;
  const hooks = useLoad(() => api<List<Webhook>>('GET', `${base}?limit=100`), [sessionId]);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['message.received', 'message.status', 'session.status']);
  const { busy, error, run } = useAction();
  const [secret, setSecret] = useState<string | null>(null);

  return (
    <>
      <section className="card" aria-labelledby="wh-new">
        <h2 id="wh-new">New webhook</h2>
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            await run(async () => {
              const res = await api<{ webhook: Webhook & { secret: string } }>('POST', base, { url, events });
              setSecret(res.webhook.secret);
              setUrl('');
              await hooks.reload();
            });
          }}
        >
          <div className="field">
            <label htmlFor="wh-url">Endpoint URL</label>
            <input id="wh-url" type="url" required placeholder="https://example.com/wagate" value={url} onChange={(e) => setUrl(e.target.value)} />
          </div>
          <EventChecks value={events} onChange={setEvents} idPrefix="wh-new" />
          <button type="submit" className="btn primary" disabled={busy || events.length === 0}>
            Create webhook
          </button>
        </form>
        <ErrorAlert error={error} />
        {secret && <SecretReveal label="Signing secret" value={secret} note="Shown only once. Verify the webhook-signature header with it." />}
      </section>
      {hooks.loading && !hooks.data ? <Loading /> : <ErrorAlert error={hooks.error} onRetry={() => void hooks.reload()} />}
      {hooks.data && hooks.data.data.length === 0 && <Empty>No webhooks yet.</Empty>}
      {hooks.data?.data.map((hook) => <WebhookCard key={hook.id} base={base} hook={hook} onChanged={hooks.reload} />)}
    </>
  );
}

function WebhookCard({ base, hook, onChanged }: { base: string; hook: Webhook; onChanged: () => Promise<void> }) {
  const path = `${base}/${encodeURIComponent(hook.id)}`;
  const deliveries = useLoad(() => api<List<WebhookDelivery>>('GET', `${path}/deliveries?limit=20`), [path], 4_000);
  const [editing, setEditing] = useState(false);
  const [url, setUrl] = useState(hook.url);
  const [events, setEvents] = useState(hook.events);
  const [active, setActive] = useState(hook.active);
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setError(undefined);
    setNote(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card" aria-label={`Webhook ${hook.url}`} data-webhook-id={hook.id}>
      <div className="page-head">
        <div>
          <h3 className="mono" style={{ wordBreak: 'break-all' }}>
            {hook.url}
          </h3>
          <div className="row-actions">
            <StatusBadge status={hook.active ? 'ONLINE' : 'OFFLINE'} />
            <span className="hint">{hook.events.join(', ')}</span>
          </div>
          {hook.disabledReason && <Notice tone="warn">Disabled: {hook.disabledReason}</Notice>}
        </div>
        <div className="row-actions">
          <button type="button" className="btn small" onClick={() => run(async () => (await api('POST', `${path}/test`), setNote('Test event queued.'), await deliveries.reload()))}>
            Send test event
          </button>
          <button type="button" className="btn small" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit
          </button>
          <button type="button" className="btn small" onClick={() => setDeleting(true)}>
            Delete
          </button>
        </div>
      </div>
      {editing && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run(async () => {
              await api('PATCH', path, { url, events, active });
              setEditing(false);
              await onChanged();
            });
          }}
        >
          <div className="field">
            <label htmlFor={`url-${hook.id}`}>Endpoint URL</label>
            <input id={`url-${hook.id}`} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
          </div>
          <EventChecks value={events} onChange={setEvents} idPrefix={`ev-${hook.id}`} />
          <label className="checks" htmlFor={`active-${hook.id}`}>
            <input id={`active-${hook.id}`} type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Active
          </label>
          <button type="submit" className="btn primary">
            Save
          </button>
        </form>
      )}
      {note && <Notice tone="success">{note}</Notice>}
      <ErrorAlert error={error} />
      <h4>Deliveries</h4>
      {deliveries.loading && !deliveries.data ? <Loading /> : <ErrorAlert error={deliveries.error} />}
      {deliveries.data && deliveries.data.data.length === 0 && <Empty>No deliveries yet.</Empty>}
      {deliveries.data && deliveries.data.data.length > 0 && (
        <div className="table-wrap">
          <table data-testid="deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Response</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">Next retry</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.data.map((d) => (
                <tr key={d.id}>
                  <td className="mono">{d.event}</td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td title={d.lastError ?? undefined}>{d.responseCode ?? '—'}</td>
                  <td>{d.attempts}</td>
                  <td>{formatTime(d.createdAt)}</td>
                  <td>{formatTime(d.nextRetry)}</td>
                  <td>
                    <button
                      type="button"
                      className="btn small"
                      onClick={() => run(async () => (await api('POST', `${path}/deliveries/${encodeURIComponent(d.id)}/redeliver`), setNote('Redelivery queued.'), await deliveries.reload()))}
                    >
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog open={deleting} title="Delete this webhook?" confirmLabel="Delete webhook" danger onClose={() => setDeleting(false)} onConfirm={async () => (await api('DELETE', path), await onChanged())}>
        <p>Events stop going to {hook.url}. Pending deliveries are dropped.</p>
      </ConfirmDialog>
    </section>
  );
}
