'use client';
import { useState } from 'react';
import { api } from '@/lib/api';
import { formatTime, storedKey, storeKey, useLoad, useAction } from '@/lib/hooks';
import type { ApiKey, ApiKeyCreated, List } from '@/lib/types';
import { ConfirmDialog, Empty, ErrorAlert, Loading, SecretReveal } from './ui';

export function SessionKeys({ sessionId }: { sessionId: string }) {
  const base = `/api/v1/sessions/${encodeURIComponent(sessionId)}/api-keys`;
  const keys = useLoad(() => api<List<ApiKey>>('GET', `${base}?limit=100`), [sessionId]);
  const [name, setName] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const { busy, error, run } = useAction();
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form
        className="inline-form"
        onSubmit={async (event) => {
          event.preventDefault();
          await run(async () => {
            const body = expiresAt ? { name, expiresAt: new Date(expiresAt).toISOString() } : { name };
            const res = await api<{ apiKey: ApiKeyCreated }>('POST', base, body);
            setCreated(res.apiKey);
            if (!storedKey(sessionId)) storeKey(sessionId, res.apiKey.key);
            setName('');
            setExpiresAt('');
            await keys.reload();
          });
        }}
      >
        <div className="field">
          <label htmlFor="key-name">Key name</label>
          <input id="key-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. CRM integration" />
        </div>
        <div className="field">
          <label htmlFor="key-expiry">Expires (optional)</label>
          <input id="key-expiry" type="datetime-local" value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} />
        </div>
        <button type="submit" className="btn primary" disabled={busy}>
          Create key
        </button>
      </form>
      <ErrorAlert error={error} />
      {created && <SecretReveal label={`New key “${created.name}”`} value={created.key} />}
      {keys.loading && !keys.data ? <Loading /> : <ErrorAlert error={keys.error} onRetry={() => void keys.reload()} />}
      {keys.data && keys.data.data.length === 0 && <Empty>No active keys.</Empty>}
      {keys.data && keys.data.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>{formatTime(k.lastUsedAt)}</td>
                  <td>{k.expiresAt ? formatTime(k.expiresAt) : 'Never'}</td>
                  <td>{formatTime(k.createdAt)}</td>
                  <td>
                    <button type="button" className="btn small" onClick={() => setRevoking(k)} aria-label={`Revoke key ${k.name}`}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        danger
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          if (!revoking) return;
          await api('DELETE', `${base}/${encodeURIComponent(revoking.id)}`);
          await keys.reload();
        }}
      >
        <p>Requests using “{revoking?.name}” ({revoking?.prefix}…) stop working immediately.</p>
      </ConfirmDialog>
    </section>
  );
}
