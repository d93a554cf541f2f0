'use client';
import { useAction } from '@/lib/hooks';
import { useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { createPhone, phonePath, useSandboxPhones } from '@/lib/sandbox';
import type { Session } from '@/lib/types';
import { ErrorAlert, Loading, Notice } from './ui';

interface Qr {
  qr: string;
  image: string;
  expiresAt: string;
}

/** Connect by QR (image follows the live stream until CONNECTED) or by pairing code; sandbox helpers. */
export function SessionConnect({ session, qrTick, pairingCode, onChanged }: { session: Session; qrTick: number; pairingCode: string | null; onChanged: (s: Session) => void }) {
  const [method, setMethod] = useState<'qr' | 'pairing_code'>('qr');
  const [phoneNumber, setPhoneNumber] = useState('');
  const { busy, error, run } = useAction();
  const [qr, setQr] = useState<Qr | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const sandbox = useSandboxPhones();
  const [virtualPhone, setVirtualPhone] = useState('');
  const [sandboxNote, setSandboxNote] = useState<string | null>(null);

  const status = session.status;
  useEffect(() => {
    if (status !== 'QR_READY') {
      setQr(null);
      return;
    }
    let cancelled = false;
    api<Qr>('GET', `/api/v1/sessions/${encodeURIComponent(session.id)}/qr`)
      .then((res) => !cancelled && setQr(res))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [status, qrTick, session.id]);

  useEffect(() => {
    if (pairingCode) setCode(pairingCode);
    // Only a pairing-code connect sits in CONNECTING with a code; a QR connect answers 409 here.
    else if (status === 'CONNECTING')
      api<{ code: string }>('GET', `/api/v1/sessions/${encodeURIComponent(session.id)}/pairing-code`)
        .then((res) => setCode(res.code))
        .catch(() => undefined);
    if (status === 'CONNECTED' || status === 'DISCONNECTED' || status === 'LOGGED_OUT') setCode(null);
  }, [pairingCode, status, session.id]);

  const phones = sandbox.data?.phones ?? [];
  useEffect(() => {
    if (!virtualPhone && phones[0]) setVirtualPhone(phones[0].phoneNumber);
  }, [phones, virtualPhone]);

  const withPhone = async (): Promise<string> => {
    if (virtualPhone) return virtualPhone;
    const phone = await createPhone('My test phone');
    await sandbox.reload();
    setVirtualPhone(phone.phoneNumber);
    return phone.phoneNumber;
  };

  const act = async (work: () => Promise<void>) => {
    await run(async () => {
      await work();
    });
  };

  const canConnect = status === 'DISCONNECTED' || status === 'LOGGED_OUT' || status === 'FAILED';
  return (
    <section className="card" aria-labelledby="connect-title">
      <h2 id="connect-title">Connection</h2>
      {status === 'CONNECTED' && (
        <Notice tone="success">
          Connected as <strong className="mono">{session.phoneNumber ?? 'unknown number'}</strong>. You can send and receive messages.
        </Notice>
      )}
      {canConnect && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void act(async () => {
              const body = method === 'qr' ? { method } : { method, phoneNumber };
              const res = await api<{ session: Session }>('POST', `/api/v1/sessions/${encodeURIComponent(session.id)}/connect`, body);
              onChanged(res.session);
            });
          }}
        >
          <fieldset className="checks">
            <legend>How do you want to link the phone?</legend>
            <label>
              <input type="radio" name="method" value="qr" checked={method === 'qr'} onChange={() => setMethod('qr')} /> Scan a QR code
            </label>
            <label>
              <input type="radio" name="method" value="pairing_code" checked={method === 'pairing_code'} onChange={() => setMethod('pairing_code')} /> Enter a pairing code
            </label>
          </fieldset>
          {method === 'pairing_code' && (
            <div className="field">
              <label htmlFor="pair-phone">Phone number to link</label>
              <input id="pair-phone" required inputMode="tel" placeholder="+6281234567890" value={phoneNumber} onChange={(e) => setPhoneNumber(e.target.value)} />
              {sandbox.data?.available && phones.length > 0 && <p className="hint">In the sandbox, use one of your virtual phones, e.g. {phones[0]?.phoneNumber}.</p>}
            </div>
          )}
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        </form>
      )}
      {(status === 'CONNECTING' || status === 'QR_READY') && !qr && !code && <Loading label="Waiting for the worker to start the session…" />}
      {status === 'QR_READY' && qr && (
        <div className="qr">
          <img src={qr.image} alt="WhatsApp QR code: open WhatsApp, Linked devices, Link a device, and scan it" data-testid="qr-image" data-qr={qr.qr} />
          <div>
            <h3>Scan with WhatsApp</h3>
            <ol>
              <li>Open WhatsApp on your phone.</li>
              <li>Go to Settings → Linked devices → Link a device.</li>
              <li>Point the camera at this code. It refreshes by itself until the phone is linked.</li>
            </ol>
            <p className="hint">This code expires at {new Date(qr.expiresAt).toLocaleTimeString()}.</p>
          </div>
        </div>
      )}
      {code && status !== 'CONNECTED' && (
        <div>
          <h3>Pairing code</h3>
          <p className="pairing-code" data-testid="pairing-code">
            {code}
          </p>
          <p className="hint">On the phone: Linked devices → Link a device → Link with phone number instead, then enter this code.</p>
        </div>
      )}
      {sandbox.data?.available && (status === 'QR_READY' || code) && status !== 'CONNECTED' && (
        <div className="card" style={{ marginTop: '1rem', background: '#f0fdfa' }}>
          <h3>Sandbox: no phone needed</h3>
          <p className="hint">The virtual phone that links becomes this session&apos;s number; chat with it from another virtual phone on the Sandbox page.</p>
          <div className="inline-form">
            {phones.length > 0 && (
              <div className="field">
                <label htmlFor="virtual-phone">Virtual phone</label>
                <select id="virtual-phone" value={virtualPhone} onChange={(e) => setVirtualPhone(e.target.value)}>
                  {phones.map((p) => (
                    <option key={p.phoneNumber} value={p.phoneNumber}>
                      {p.name} ({p.phoneNumber})
                    </option>
                  ))}
                </select>
              </div>
            )}
            {status === 'QR_READY' && qr && (
              <button
                type="button"
                className="btn primary"
                disabled={busy}
                onClick={() =>
                  void act(async () => {
                    const phone = await withPhone();
                    await api('POST', `${phonePath(phone)}/scan`, { qr: qr.qr });
                    setSandboxNote(`${phone} scanned the code.`);
                  })
                }
              >
                Scan with a virtual phone
              </button>
            )}
            {code && (
              <button
                type="button"
                className="btn primary"
                disabled={busy}
                onClick={() =>
                  void act(async () => {
                    const phone = await withPhone();
                    await api('POST', `${phonePath(phone)}/pairing-code`, { code });
                    setSandboxNote(`${phone} entered the code.`);
                  })
                }
              >
                Enter the code on a virtual phone
              </button>
            )}
          </div>
          {sandboxNote && <Notice>{sandboxNote}</Notice>}
        </div>
      )}
      <ErrorAlert error={error} />
    </section>
  );
}
