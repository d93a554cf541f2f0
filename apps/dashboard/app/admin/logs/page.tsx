'use client';
import { useState } from 'react';
import { Empty, ErrorAlert, Loading } from '@/components/ui';
import { formatTime } from '@/lib/hooks';
import { useList } from '@/lib/list';
import type { SystemLog } from '@/lib/types';

export default function AdminLogs() {
  const [level, setLevel] = useState('');
  const [category, setCategory] = useState('');
  const query = new URLSearchParams({ ...(level ? { level } : {}), ...(category ? { category } : {}) }).toString();
  const logs = useList<SystemLog>(`/api/v1/admin/logs${query ? `?${query}` : ''}`);
  return (
    <>
      <h1>System logs</h1>
      <section className="card">
        <div className="inline-form" style={{ marginBottom: '1rem' }}>
          <div className="field">
            <label htmlFor="log-level">Level</label>
            <select id="log-level" value={level} onChange={(e) => setLevel(e.target.value)}>
              <option value="">All</option>
              {['debug', 'info', 'warn', 'error'].map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="log-category">Category</label>
            <input id="log-category" placeholder="auth, session, worker…" value={category} onChange={(e) => setCategory(e.target.value.trim())} />
          </div>
        </div>
        <ErrorAlert error={logs.error} />
        {logs.loading && logs.items.length === 0 && <Loading />}
        {!logs.loading && logs.items.length === 0 && <Empty>No log lines match.</Empty>}
        {logs.items.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Level</th>
                  <th scope="col">Category</th>
                  <th scope="col">Message</th>
                  <th scope="col">Subject</th>
                </tr>
              </thead>
              <tbody>
                {logs.items.map((l) => (
                  <tr key={l.id}>
                    <td>{formatTime(l.createdAt)}</td>
                    <td>
                      <span className={`badge ${l.level === 'error' ? 'bad' : l.level === 'warn' ? 'warn' : 'neutral'}`}>{l.level}</span>
                    </td>
                    <td>{l.category}</td>
                    <td>{l.message}</td>
                    <td className="mono hint">{l.sessionId ?? l.workerId ?? l.userId ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {logs.more && (
          <button type="button" className="btn" onClick={() => void logs.loadMore()}>
            Load more
          </button>
        )}
      </section>
    </>
  );
}
