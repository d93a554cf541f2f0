'use client';
import { useState } from 'react';
import { Empty, ErrorAlert, Loading, Notice } from '@/components/ui';
import { api } from '@/lib/api';
import { formatTime, useLoad, useAction } from '@/lib/hooks';
import { createPhone, phonePath, useSandboxPhones } from '@/lib/sandbox';
import type { List, SandboxMessage, SandboxPhone, Session } from '@/lib/types';

export default function SandboxPage() {
  const sandbox = useSandboxPhones();
  const sessions = useLoad(() => api<List<Session>>('GET', '/api/v1/sessions?limit=100'), [], 10_000);
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();

  if (sandbox.loading && !sandbox.data) return <Loading />;
  if (sandbox.error) return <ErrorAlert error={sandbox.error} onRetry={() => void sandbox.reload()} />;
  if (!sandbox.data?.available)
    return (
      <section className="card">
        <h1>Sandbox</h1>
        <Notice>This server runs on the real WhatsApp network, so there are no virtual phones. Start it with WA_NETWORK=sandbox to try WAGate without a phone.</Notice>
      </section>
    );
  const numbers = (sessions.data?.data ?? []).filter((s) => s.phoneNumber).map((s) => ({ name: s.name, phone: s.phoneNumber as string }));
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Sandbox</h1>
          <p className="muted">Virtual phones on the simulated network: link a session, message it, and see what it sends — no real phone needed.</p>
        </div>
      </div>
      <section className="card" aria-labelledby="new-phone">
        <h2 id="new-phone">New virtual phone</h2>
        <form
          className="inline-form"
          onSubmit={async (event) => {
            event.preventDefault();
            await run(async () => {
              await createPhone(name || undefined);
              setName('');
              await sandbox.reload();
            });
          }}
        >
          <div className="field">
            <label htmlFor="phone-name">Name (optional)</label>
            <input id="phone-name" maxLength={64} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Test customer" />
          </div>
          <button type="submit" className="btn primary" disabled={busy}>
            Create virtual phone
          </button>
        </form>
        <ErrorAlert error={error} />
      </section>
      {sandbox.data.phones.length === 0 && <Empty>No virtual phones yet.</Empty>}
      <div className="grid">
        {sandbox.data.phones.map((phone) => (
          <PhoneCard key={phone.phoneNumber} phone={phone} sessionNumbers={numbers} />
        ))}
      </div>
    </>
  );
}

function PhoneCard({ phone, sessionNumbers: all }: { phone: SandboxPhone; sessionNumbers: { name: string; phone: string }[] }) {
  const path = phonePath(phone.phoneNumber);
  // A phone that linked a session is that session's number: it would only be writing to itself.
  const sessionNumbers = all.filter((s) => s.phone.replace(/\D/g, '') !== phone.phoneNumber.replace(/\D/g, ''));
  const inbox = useLoad(() => api<List<SandboxMessage>>('GET', `${path}/messages?limit=50`), [path], 2_000);
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>();
  const slug = phone.phoneNumber.replace(/\D/g, '');
  const target = to || sessionNumbers[0]?.phone || '';
  return (
    <section className="card" aria-label={`Virtual phone ${phone.name}`} data-phone={phone.phoneNumber}>
      <h2>
        {phone.name} <span className="mono muted">{phone.phoneNumber}</span>
      </h2>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setError(undefined);
          try {
            await api('POST', `${path}/messages`, { to: target, text });
            setText('');
            await inbox.reload();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <div className="field">
          <label htmlFor={`to-${slug}`}>Send to</label>
          {sessionNumbers.length > 0 ? (
            <select id={`to-${slug}`} value={target} onChange={(e) => setTo(e.target.value)}>
              {sessionNumbers.map((s) => (
                <option key={s.phone} value={s.phone}>
                  {s.name} ({s.phone})
                </option>
              ))}
            </select>
          ) : (
            <input id={`to-${slug}`} required placeholder="A session's phone number" value={to} onChange={(e) => setTo(e.target.value)} />
          )}
        </div>
        <div className="field">
          <label htmlFor={`text-${slug}`}>Message</label>
          <input id={`text-${slug}`} required value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <button type="submit" className="btn primary" disabled={!target}>
          Send from this phone
        </button>
      </form>
      <ErrorAlert error={error} />
      <h3 style={{ marginTop: '1rem' }}>Inbox</h3>
      {inbox.loading && !inbox.data && <Loading />}
      {inbox.data && inbox.data.data.length === 0 && <Empty>Nothing received or sent yet.</Empty>}
      <div className="bubbles" aria-live="polite" data-testid={`inbox-${slug}`}>
        {[...(inbox.data?.data ?? [])].reverse().map((m) => (
          <div key={m.id} className={`bubble ${m.direction === 'out' ? 'me' : ''}`}>
            <div>{m.text ?? <em>[{m.type}]</em>}</div>
            <div className="meta">
              <span>{m.direction === 'in' ? `from ${m.from}` : `to ${m.to}`}</span>
              <span>{formatTime(m.timestamp)}</span>
              {m.receipts.length > 0 && <span>{m.receipts.at(-1)?.status.toLowerCase()}</span>}
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}
