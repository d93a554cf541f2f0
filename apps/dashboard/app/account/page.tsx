'use client';
import { useMemo } from 'react';
import { ErrorAlert, Loading } from '@/components/ui';
import { UsageChart, type UsageSeries } from '@/components/usage-chart';
import { api } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { formatTime, useLoad } from '@/lib/hooks';
import type { Usage } from '@/lib/types';

/** Every UTC day from `from` to `to`, so days without usage show as zero bars. */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) days.push(d.toISOString().slice(0, 10));
  return days;
}

export default function AccountPage() {
  const { user } = useAuth();
  const usage = useLoad(() => api<Usage>('GET', '/api/v1/usage'), [], 30_000);
  // From the gateway, so the page never disagrees with what is enforced.
  const limits = usage.data?.limits;

  const series = useMemo(() => {
    if (!usage.data || !limits) return null;
    const days = daysBetween(usage.data.from, usage.data.to);
    const byDay = new Map(usage.data.days.map((d) => [d.date, d.metrics]));
    const pick = (metric: string) => days.map((d) => byDay.get(d)?.[metric] ?? 0);
    const labels = days.map((d) => d.slice(5));
    const messages: UsageSeries = { label: 'Messages sent', days: labels, values: pick('messages.sent'), limit: limits.messagesPerHour * 24, color: '#0f766e' };
    const calls: UsageSeries = { label: 'API calls', days: labels, values: pick('api.calls'), limit: limits.apiCallsPerHour * 24, color: '#2563eb' };
    return { messages, calls };
  }, [usage.data, limits]);

  if (!user) return null;
  const totals = usage.data?.totals ?? {};
  return (
    <>
      <h1>Account & usage</h1>
      <section className="card">
        <dl className="facts">
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Plan</dt>
          <dd>
            <strong>{user.tier}</strong>
            {limits && (
              <>
                {' '}
                — {limits.messagesPerHour.toLocaleString()} messages and {limits.apiCallsPerHour.toLocaleString()} API calls per hour, up to{' '}
                {limits.sessions.toLocaleString()} sessions
              </>
            )}
          </dd>
          <dt>Role</dt>
          <dd>{user.role}</dd>
          <dt>Member since</dt>
          <dd>{formatTime(user.createdAt)}</dd>
        </dl>
      </section>
      <div className="stats">
        {[
          ['Messages sent', totals['messages.sent'] ?? 0],
          ['Messages received', totals['messages.received'] ?? 0],
          ['API calls', totals['api.calls'] ?? 0],
        ].map(([label, value]) => (
          <div className="stat" key={label}>
            <div className="value">{Number(value).toLocaleString()}</div>
            <div className="label">{label} · last 30 days</div>
          </div>
        ))}
      </div>
      {usage.loading && !usage.data && <Loading label="Loading usage…" />}
      <ErrorAlert error={usage.error} onRetry={() => void usage.reload()} />
      {series && (
        <div className="grid">
          <UsageChart title="Messages per day" series={series.messages} />
          <UsageChart title="API calls per day" series={series.calls} />
        </div>
      )}
    </>
  );
}
