'use client';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorText } from '@/lib/api';
import type { SessionStatus } from '@/lib/types';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="alert error" role="alert">
      <span>{errorText(error)}</span>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warn' }) {
  return (
    <div className={`alert ${tone}`} role="status">
      {children}
    </div>
  );
}

const STATUS_TONE: Record<string, string> = {
  CONNECTED: 'ok',
  ONLINE: 'ok',
  SUCCEEDED: 'ok',
  READ: 'ok',
  DELIVERED: 'ok',
  QR_READY: 'warn',
  CONNECTING: 'warn',
  DRAINING: 'warn',
  PENDING: 'warn',
  SENT: 'neutral',
  DISCONNECTED: 'neutral',
  LOGGED_OUT: 'neutral',
  FAILED: 'bad',
  OFFLINE: 'bad',
};

export function StatusBadge({ status }: { status: SessionStatus | string }) {
  return (
    <span className={`badge ${STATUS_TONE[status] ?? 'neutral'}`} data-status={status}>
      {status.replace('_', ' ')}
    </span>
  );
}

/** A modal on the native <dialog>: focus is trapped and Escape closes it, as browsers do natively. */
export function Dialog({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className="dialog">
      {open && (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      )}
    </dialog>
  );
}

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (props.open) setError(undefined);
  }, [props.open]);
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <div className="dialog-body">{props.children}</div>
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="button" className="btn" onClick={props.onClose} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          className={`btn ${props.danger ? 'danger' : 'primary'}`}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await props.onConfirm();
              props.onClose();
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** A secret shown once, with a copy button. */
export function SecretReveal({ label, value, note }: { label: string; value: string; note?: string }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="secret">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input id={id} ref={input} readOnly value={value} className="mono" onFocus={(e) => e.currentTarget.select()} data-testid="secret-value" />
        <button
          type="button"
          className="btn"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
            } catch {
              // Clipboard API refused (insecure origin): select the text for Ctrl+C instead.
              input.current?.select();
              document.execCommand('copy');
            }
            setCopied(true);
            setTimeout(() => setCopied(false), 2_000);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="hint">{note ?? 'This is shown only once. Store it somewhere safe now.'}</p>
    </div>
  );
}

export function Field({ label, hint, children, id }: { label: string; hint?: string; children: ReactNode; id: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && <p className="hint">{hint}</p>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
