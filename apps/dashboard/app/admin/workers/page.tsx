'use client';
import { useState } from 'react';
import { ConfirmDialog, Empty, ErrorAlert, Loading, StatusBadge } from '@/components/ui';
import { api } from '@/lib/api';
import { formatTime, useLoad, useAction } from '@/lib/hooks';
import type { List, Worker } from '@/lib/types';

export default function AdminWorkers() {
  const workers = useLoad(() => api<List<Worker>>('GET', '/api/v1/admin/workers?limit=100'), [], 5_000);
  const [endpoint, setEndpoint] = useState('');
  const [maxSessions, setMaxSessions] = useState('50');
  const { busy, error, run } = useAction();
  const [pending, setPending] = useState<{ worker: Worker; action: 'drain' | 'remove' } | null>(null);

  return (
    <>
      <h1>Workers</h1>
      <section className="card" aria-labelledby="add-worker">
        <h2 id="add-worker">Add a worker</h2>
        <form
          className="inline-form"
          onSubmit={async (event) => {
            event.preventDefault();
            await run(async () => {
              await api('POST', '/api/v1/admin/workers', { endpoint, maxSessions: Number(maxSessions) });
              setEndpoint('');
              await workers.reload();
            });
          }}
        >
          <div className="field">
            <label htmlFor="worker-endpoint">Endpoint</label>
            <input id="worker-endpoint" type="url" required placeholder="http://worker-3:4000" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} />
          </div>
          <div className="field" style={{ flex: '0 1 140px' }}>
            <label htmlFor="worker-max">Max sessions</label>
            <input id="worker-max" type="number" min={1} required value={maxSessions} onChange={(e) => setMaxSessions(e.target.value)} />
          </div>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Checking…' : 'Add worker'}
          </button>
        </form>
        <p className="hint">The gateway health-checks the endpoint before it takes sessions.</p>
        <ErrorAlert error={error} />
      </section>
      <section className="card" aria-labelledby="fleet">
        <h2 id="fleet">Fleet</h2>
        {workers.loading && !workers.data ? <Loading /> : <ErrorAlert error={workers.error} onRetry={() => void workers.reload()} />}
        {workers.data && workers.data.data.length === 0 && <Empty>No workers registered.</Empty>}
        {workers.data && workers.data.data.length > 0 && (
          <div className="table-wrap">
            <table data-testid="workers">
              <thead>
                <tr>
                  <th scope="col">Worker</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sessions</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Memory</th>
                  <th scope="col">Last heartbeat</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {workers.data.data.map((w) => (
                  <tr key={w.id}>
                    <td>
                      <div className="mono">{w.id}</div>
                      <div className="hint">{w.endpoint}</div>
                    </td>
                    <td>
                      <StatusBadge status={w.status} />
                    </td>
                    <td>
                      <div>
                        {w.sessionCount} / {w.maxSessions}
                      </div>
                      <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={w.maxSessions} aria-valuenow={w.sessionCount} aria-label="Sessions used">
                        <span style={{ width: `${Math.min(100, (100 * w.sessionCount) / w.maxSessions)}%` }} />
                      </div>
                    </td>
                    <td>{w.cpuUsage.toFixed(0)}%</td>
                    <td>{w.memoryUsage.toFixed(0)}%</td>
                    <td>{formatTime(w.lastHeartbeat)}</td>
                    <td>
                      <div className="row-actions">
                        <button type="button" className="btn small" disabled={w.status !== 'ONLINE'} onClick={() => setPending({ worker: w, action: 'drain' })}>
                          Drain
                        </button>
                        <button type="button" className="btn small" onClick={() => setPending({ worker: w, action: 'remove' })}>
                          Remove
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <ConfirmDialog
        open={pending !== null}
        title={pending?.action === 'drain' ? 'Drain this worker?' : 'Remove this worker?'}
        confirmLabel={pending?.action === 'drain' ? 'Drain' : 'Remove'}
        danger={pending?.action === 'remove'}
        onClose={() => setPending(null)}
        onConfirm={async () => {
          if (!pending) return;
          const path = `/api/v1/admin/workers/${encodeURIComponent(pending.worker.id)}`;
          await api(pending.action === 'drain' ? 'POST' : 'DELETE', pending.action === 'drain' ? `${path}/drain` : path);
          await workers.reload();
        }}
      >
        <p>
          {pending?.action === 'drain'
            ? 'It takes no new sessions and its sessions move to other workers.'
            : 'It is taken out of the fleet. Sessions still on it move to other workers.'}
        </p>
      </ConfirmDialog>
    </>
  );
}
