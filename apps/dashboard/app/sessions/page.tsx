'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Dialog, Empty, ErrorAlert, Loading, SecretReveal, StatusBadge } from '@/components/ui';
import { api } from '@/lib/api';
import { formatTime, storeKey, useLoad } from '@/lib/hooks';
import { subscribeSession } from '@/lib/sse';
import type { ApiKeyCreated, List, Session, SessionStatus } from '@/lib/types';

// Browsers allow ~6 HTTP/1.1 connections per origin; live streams for a few sessions leave room
// for API calls, and the list itself refreshes for the rest.
const LIVE_STREAMS = 3;

export default function SessionsPage() {
  const sessions = useLoad(() => api<List<Session>>('GET', '/api/v1/sessions?limit=100'), [], 10_000);
  const [live, setLive] = useState<Record<string, SessionStatus>>({});
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<unknown>();
  const [created, setCreated] = useState<{ session: Session; apiKey: ApiKeyCreated } | null>(null);

  const liveIds = (sessions.data?.data ?? []).slice(0, LIVE_STREAMS).map((s) => s.id).join(',');
  useEffect(() => {
    if (!liveIds) return;
    const stops = liveIds.split(',').map((id) =>
      subscribeSession(id, (event) => {
        if (event.type === 'session.status') {
          const status = (event.data as { status?: SessionStatus }).status;
          if (status) setLive((prev) => ({ ...prev, [id]: status }));
        }
      }),
    );
    return () => stops.forEach((stop) => stop());
  }, [liveIds]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Sessions</h1>
          <p className="muted">Each session is one linked WhatsApp number with its own API keys and webhooks.</p>
        </div>
      </div>
      <section className="card" aria-labelledby="create-title">
        <h2 id="create-title">New session</h2>
        <form
          className="inline-form"
          onSubmit={async (event) => {
            event.preventDefault();
            setBusy(true);
            setCreateError(undefined);
            try {
              const res = await api<{ session: Session; apiKey: ApiKeyCreated }>('POST', '/api/v1/sessions', { name });
              storeKey(res.session.id, res.apiKey.key);
              setCreated(res);
              setName('');
              await sessions.reload();
            } catch (err) {
              setCreateError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <div className="field">
            <label htmlFor="session-name">Name</label>
            <input id="session-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Support line" />
          </div>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create session'}
          </button>
        </form>
        <ErrorAlert error={createError} />
      </section>

      <section className="card" aria-labelledby="list-title">
        <h2 id="list-title">Your sessions</h2>
        {sessions.loading && !sessions.data ? (
          <Loading />
        ) : (
          <>
            <ErrorAlert error={sessions.error} onRetry={() => void sessions.reload()} />
            {sessions.data && sessions.data.data.length === 0 && <Empty>No sessions yet. Create one above to connect a WhatsApp number.</Empty>}
            {sessions.data && sessions.data.data.length > 0 && (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Status</th>
                      <th scope="col">Phone number</th>
                      <th scope="col">Last activity</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {sessions.data.data.map((s) => (
                      <tr key={s.id} data-session-id={s.id}>
                        <td>
                          <Link href={`/sessions/view?id=${encodeURIComponent(s.id)}`}>{s.name}</Link>
                        </td>
                        <td>
                          <StatusBadge status={live[s.id] ?? s.status} />
                        </td>
                        <td className="mono">{s.phoneNumber ?? '—'}</td>
                        <td>{formatTime(s.lastActivityAt)}</td>
                        <td>{formatTime(s.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </section>

      <Dialog open={created !== null} title="Session created" onClose={() => setCreated(null)}>
        {created && (
          <>
            <p>
              <strong>{created.session.name}</strong> is ready to connect. Its first API key:
            </p>
            <SecretReveal
              label="API key"
              value={created.apiKey.key}
              note="Shown only once. This browser also keeps it so the dashboard can send test messages."
            />
            <div className="actions">
              <button type="button" className="btn" onClick={() => setCreated(null)}>
                Close
              </button>
              <Link className="btn primary" href={`/sessions/view?id=${encodeURIComponent(created.session.id)}`}>
                Connect it now
              </Link>
            </div>
          </>
        )}
      </Dialog>
    </>
  );
}
