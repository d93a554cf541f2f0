'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { SessionConnect } from '@/components/session-connect';
import { SessionKeys } from '@/components/session-keys';
import { SessionMessages } from '@/components/session-messages';
import { SessionWebhooks } from '@/components/session-webhooks';
import { ConfirmDialog, ErrorAlert, Loading, Notice, StatusBadge } from '@/components/ui';
import { api } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { formatTime, useQueryParam } from '@/lib/hooks';
import { subscribeSession } from '@/lib/sse';
import type { Session } from '@/lib/types';

const TABS = [
  { id: 'connect', label: 'Connection' },
  { id: 'messages', label: 'Messages' },
  { id: 'keys', label: 'API keys' },
  { id: 'webhooks', label: 'Webhooks' },
] as const;
type Tab = (typeof TABS)[number]['id'];

type Pending = 'disconnect' | 'logout' | 'delete' | null;

export default function SessionDetailPage() {
  const id = useQueryParam('id');
  const { user } = useAuth();
  const router = useRouter();
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState(false);
  const [qrTick, setQrTick] = useState(0);
  const [pairingCode, setPairingCode] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('connect');
  const [pending, setPending] = useState<Pending>(null);
  const [webhookNotice, setWebhookNotice] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    let cancelled = false;
    api<{ session: Session }>('GET', `/api/v1/sessions/${encodeURIComponent(id)}`)
      .then((res) => !cancelled && setSession(res.session))
      .catch((err) => !cancelled && setError(err));
    const stop = subscribeSession(
      id,
      (event) => {
        if (event.type === 'session.status') {
          const data = event.data as { status: Session['status']; phoneNumber?: string | null; session?: Session };
          setSession((prev) => (data.session ? { ...prev, ...data.session } : prev ? { ...prev, status: data.status, phoneNumber: data.phoneNumber ?? prev.phoneNumber } : prev));
          if (data.status === 'CONNECTED') setPairingCode(null);
        } else if (event.type === 'session.qr') {
          setQrTick((n) => n + 1);
        } else if (event.type === 'session.pairing_code') {
          setPairingCode((event.data as { code: string }).code);
        } else if (event.type === 'session.deleted') {
          router.replace('/sessions');
        } else if (event.type === 'webhook.disabled') {
          setWebhookNotice((event.data as { reason: string }).reason);
        }
      },
      setLive,
    );
    return () => {
      cancelled = true;
      stop();
    };
  }, [id, router]);

  if (id === undefined) return <Loading />;
  if (!id) return <ErrorAlert error={new Error('No session id in the address.')} />;
  if (error) return <ErrorAlert error={error} />;
  if (!session) return <Loading label="Loading session…" />;

  const path = `/api/v1/sessions/${encodeURIComponent(session.id)}`;
  const active = session.status === 'CONNECTED' || session.status === 'CONNECTING' || session.status === 'QR_READY';
  return (
    <>
      <p>
        <Link href="/sessions">← All sessions</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>{session.name}</h1>
          <div className="row-actions" aria-live="polite">
            <StatusBadge status={session.status} />
            <span className="hint">{live ? 'Live' : 'Reconnecting to live updates…'}</span>
          </div>
        </div>
        <div className="row-actions">
          <button type="button" className="btn" disabled={!active} onClick={() => setPending('disconnect')}>
            Disconnect
          </button>
          <button type="button" className="btn" disabled={session.status === 'LOGGED_OUT'} onClick={() => setPending('logout')}>
            Log out
          </button>
          <button type="button" className="btn danger" onClick={() => setPending('delete')}>
            Delete
          </button>
        </div>
      </div>
      {webhookNotice && (
        <Notice tone="warn">
          A webhook endpoint of this session was switched off: {webhookNotice}. Fix the receiver, then re-enable it on the Webhooks tab.
        </Notice>
      )}
      <section className="card">
        <dl className="facts">
          <dt>Phone number</dt>
          <dd className="mono" data-testid="session-phone">
            {session.phoneNumber ?? '—'}
          </dd>
          <dt>Last activity</dt>
          <dd>{formatTime(session.lastActivityAt)}</dd>
          <dt>Created</dt>
          <dd>{formatTime(session.createdAt)}</dd>
          <dt>Session id</dt>
          <dd className="mono">{session.id}</dd>
          {user?.role === 'ADMIN' && (
            <>
              <dt>Worker</dt>
              <dd className="mono">{session.workerId ?? '—'}</dd>
            </>
          )}
        </dl>
      </section>
      <div className="tabs" role="tablist" aria-label="Session sections">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" id={`tab-${t.id}`} aria-selected={tab === t.id} aria-controls={`panel-${t.id}`} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'connect' && <SessionConnect session={session} qrTick={qrTick} pairingCode={pairingCode} onChanged={setSession} />}
        {tab === 'messages' && <SessionMessages session={session} />}
        {tab === 'keys' && <SessionKeys sessionId={session.id} />}
        {tab === 'webhooks' && <SessionWebhooks sessionId={session.id} />}
      </div>
      <ConfirmDialog
        open={pending === 'disconnect'}
        title="Disconnect this session?"
        confirmLabel="Disconnect"
        onClose={() => setPending(null)}
        onConfirm={async () => setSession((await api<{ session: Session }>('POST', `${path}/disconnect`)).session)}
      >
        <p>The session goes offline but stays linked; connecting again needs no QR code.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={pending === 'logout'}
        title="Log out this session?"
        confirmLabel="Log out"
        danger
        onClose={() => setPending(null)}
        onConfirm={async () => setSession((await api<{ session: Session }>('POST', `${path}/logout`)).session)}
      >
        <p>The device is unlinked from the phone and its credentials are deleted. Linking again needs a new QR code.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={pending === 'delete'}
        title="Delete this session?"
        confirmLabel="Delete session"
        danger
        onClose={() => setPending(null)}
        onConfirm={async () => {
          await api('DELETE', path);
          router.replace('/sessions');
        }}
      >
        <p>
          “{session.name}”, its API keys, webhooks and message history are deleted. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
