'use client';
import { ErrorAlert, Loading } from '@/components/ui';
import { api } from '@/lib/api';
import { formatTime, useLoad } from '@/lib/hooks';
import type { AdminStats } from '@/lib/types';

export default function AdminOverview() {
  const stats = useLoad(() => api<AdminStats>('GET', '/api/v1/admin/stats'), [], 10_000);
  if (stats.loading && !stats.data) return <Loading />;
  const s = stats.data;
  return (
    <>
      <h1>Platform overview</h1>
      <ErrorAlert error={stats.error} onRetry={() => void stats.reload()} />
      {s && (
        <>
          <div className="stats">
            <Stat label="Users (active)" value={`${s.users.active} / ${s.users.total}`} />
            <Stat label="Sessions" value={s.sessions.total} />
            <Stat label="Connected sessions" value={s.sessions.byStatus.CONNECTED} />
            <Stat label="Workers online" value={`${s.workers.online} / ${s.workers.total}`} />
            <Stat label="Session capacity" value={s.workers.capacity} />
            <Stat label="Sent · 24 h" value={s.messages.sentLast24h} />
            <Stat label="Received · 24 h" value={s.messages.receivedLast24h} />
            <Stat label="Failed · 24 h" value={s.messages.failedLast24h} />
          </div>
          <section className="card">
            <h2>Sessions by status</h2>
            <div className="table-wrap">
              <table>
                <tbody>
                  {Object.entries(s.sessions.byStatus).map(([status, count]) => (
                    <tr key={status}>
                      <th scope="row">{status}</th>
                      <td>{count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="hint">Generated {formatTime(s.generatedAt)}</p>
          </section>
        </>
      )}
    </>
  );
}

function Stat({ label, value }: { label: string; value: number | string }) {
  return (
    <div className="stat">
      <div className="value">{typeof value === 'number' ? value.toLocaleString() : value}</div>
      <div className="label">{label}</div>
    </div>
  );
}
