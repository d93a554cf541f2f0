'use client';
import { useEffect, useMemo, useState } from 'react';
import { api } from '@/lib/api';
import { formatTime, storedKey, storeKey, useLoad } from '@/lib/hooks';
import type { ApiKeyCreated, List, Message, Session } from '@/lib/types';
import { Empty, ErrorAlert, Loading, Notice, StatusBadge } from './ui';

const TICKS: Record<Message['status'], string> = { PENDING: 'pending', SENT: '✓ sent', DELIVERED: '✓✓ delivered', READ: '✓✓ read', FAILED: 'failed' };

/** Test sends go through the public messaging API with a session key this browser holds. */
export function SessionMessages({ session }: { session: Session }) {
  const base = `/api/v1/sessions/${encodeURIComponent(session.id)}`;
  const history = useLoad(() => api<List<Message>>('GET', `${base}/messages?limit=100`), [session.id], 3_000);
  const [key, setKey] = useState<string | null>(null);
  const [to, setTo] = useState('');
  const [type, setType] = useState<'text' | 'image'>('text');
  const [text, setText] = useState('');
  const [imageUrl, setImageUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState<string | null>(null);
  const [chat, setChat] = useState<string | null>(null);

  useEffect(() => setKey(storedKey(session.id)), [session.id]);

  const chats = useMemo(() => {
    const byChat = new Map<string, Message[]>();
    for (const m of history.data?.data ?? []) byChat.set(m.chatId, [...(byChat.get(m.chatId) ?? []), m]);
    return [...byChat.entries()]
      .map(([id, messages]) => ({ id, messages: messages.sort((a, b) => a.timestamp.localeCompare(b.timestamp)) }))
      .sort((a, b) => (b.messages.at(-1)?.timestamp ?? '').localeCompare(a.messages.at(-1)?.timestamp ?? ''));
  }, [history.data]);
  const selected = chats.find((c) => c.id === chat) ?? chats[0];

  const send = async () => {
    if (!key) return;
    const body = type === 'text' ? { to, type, text } : { to, type, media: { url: imageUrl, mimetype: guessImageType(imageUrl), ...(text ? { caption: text } : {}) } };
    const res = await api<{ message: Message }>('POST', '/api/v1/messages', body, { apiKey: key });
    setSent(`Queued message ${res.message.id}.`);
    setText('');
    await history.reload();
  };

  return (
    <>
      <section className="card" aria-labelledby="send-title">
        <h2 id="send-title">Send a test message</h2>
        {session.status !== 'CONNECTED' && <Notice tone="warn">The session must be CONNECTED to send.</Notice>}
        {!key ? (
          <div>
            <p className="muted">Sending uses a session API key. This browser has none for this session yet.</p>
            <button
              type="button"
              className="btn"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                setError(undefined);
                try {
                  const res = await api<{ apiKey: ApiKeyCreated }>('POST', `${base}/api-keys`, { name: 'dashboard test sends' });
                  storeKey(session.id, res.apiKey.key);
                  setKey(res.apiKey.key);
                } catch (err) {
                  setError(err);
                } finally {
                  setBusy(false);
                }
              }}
            >
              Create a key for test sends
            </button>
          </div>
        ) : (
          <form
            onSubmit={async (event) => {
              event.preventDefault();
              setBusy(true);
              setError(undefined);
              setSent(null);
              try {
                await send();
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            <div className="inline-form">
              <div className="field">
                <label htmlFor="msg-to">To</label>
                <input id="msg-to" required placeholder="+6281234567890" value={to} onChange={(e) => setTo(e.target.value)} />
              </div>
              <div className="field" style={{ flex: '0 1 140px' }}>
                <label htmlFor="msg-type">Type</label>
                <select id="msg-type" value={type} onChange={(e) => setType(e.target.value as 'text' | 'image')}>
                  <option value="text">Text</option>
                  <option value="image">Image by URL</option>
                </select>
              </div>
            </div>
            {type === 'image' && (
              <div className="field" style={{ marginTop: '0.9rem' }}>
                <label htmlFor="msg-url">Image URL</label>
                <input id="msg-url" type="url" required placeholder="https://example.com/picture.jpg" value={imageUrl} onChange={(e) => setImageUrl(e.target.value)} />
              </div>
            )}
            <div className="field" style={{ marginTop: '0.9rem' }}>
              <label htmlFor="msg-text">{type === 'text' ? 'Message' : 'Caption (optional)'}</label>
              <textarea id="msg-text" required={type === 'text'} value={text} onChange={(e) => setText(e.target.value)} />
            </div>
            <div className="actions">
              <button type="button" className="btn" onClick={() => (storeKey(session.id, null), setKey(null))}>
                Forget key
              </button>
              <button type="submit" className="btn primary" disabled={busy}>
                {busy ? 'Sending…' : 'Send'}
              </button>
            </div>
          </form>
        )}
        {sent && <Notice tone="success">{sent}</Notice>}
        <ErrorAlert error={error} />
      </section>

      <section className="card" aria-labelledby="conv-title">
        <h2 id="conv-title">Conversations</h2>
        {history.loading && !history.data ? <Loading /> : <ErrorAlert error={history.error} onRetry={() => void history.reload()} />}
        {history.data && chats.length === 0 && <Empty>No messages yet.</Empty>}
        {selected && (
          <div className="chat">
            <div className="chat-list" role="list" aria-label="Chats">
              {chats.map((c) => (
                <div role="listitem" key={c.id}>
                  <button type="button" aria-pressed={c.id === selected.id} onClick={() => setChat(c.id)}>
                    <div className="mono">{c.id.replace(/@s\.whatsapp\.net$/, '')}</div>
                    <div className="hint">{c.messages.at(-1)?.text ?? c.messages.at(-1)?.type}</div>
                  </button>
                </div>
              ))}
            </div>
            <div className="bubbles" aria-live="polite" data-testid="conversation">
              {selected.messages.map((m) => (
                <div key={m.id} className={`bubble ${m.fromMe ? 'me' : ''}`} data-message-id={m.id}>
                  <div>{m.text ?? m.media?.caption ?? <em>[{m.type}]</em>}</div>
                  <div className="meta">
                    <span>{formatTime(m.timestamp)}</span>
                    {m.fromMe && (
                      <span title={m.status} aria-label={`status ${m.status}`}>
                        {TICKS[m.status]}
                      </span>
                    )}
                    {m.fromMe && m.status === 'FAILED' && <StatusBadge status="FAILED" />}
                  </div>
                </div>
              ))}
            </div>
          </div>
        )}
      </section>
    </>
  );
}

function guessImageType(url: string): string {
  const ext = url.split('?')[0]?.split('.').pop()?.toLowerCase();
  if (ext === 'png') return 'image/png';
  if (ext === 'webp') return 'image/webp';
  if (ext === 'gif') return 'image/gif';
  return 'image/jpeg';
}
