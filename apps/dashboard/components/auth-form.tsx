'use client';
import { useAction } from '@/lib/hooks';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { useAuth } from '@/lib/auth';
import { ErrorAlert } from './ui';

/** Log in and sign up share one form; only the call and the wording differ. */
export function AuthForm({ mode }: { mode: 'login' | 'signup' }) {
  const { user, login, register } = useAuth();
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const next = () => {
    const target = new URLSearchParams(window.location.search).get('next');
    // Only same-site paths: an open redirect would let a link send users elsewhere after login.
    return target && target.startsWith('/') && !target.startsWith('//') ? target : '/sessions';
  };
  useEffect(() => {
    if (user) router.replace(next());
  }, [user, router]);

  const signup = mode === 'signup';
  return (
    <section className="card narrow auth">
      <h1>{signup ? 'Create your account' : 'Log in to WAGate'}</h1>
      <p className="muted">{signup ? 'Connect WhatsApp numbers and send messages through one API.' : 'Welcome back.'}</p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          await run(async () => {
            await (signup ? register : login)(email, password);
          });
        }}
      >
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
            minLength={signup ? 8 : 1}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={signup ? 'password-hint' : undefined}
          />
          {signup && (
            <p className="hint" id="password-hint">
              At least 8 characters.
            </p>
          )}
        </div>
        <ErrorAlert error={error} />
        <button type="submit" className="btn primary block" disabled={busy}>
          {busy ? 'Please wait…' : signup ? 'Sign up' : 'Log in'}
        </button>
      </form>
      <p className="muted">
        {signup ? (
          <>
            Already have an account? <Link href="/login">Log in</Link>
          </>
        ) : (
          <>
            New here? <Link href="/signup">Create an account</Link>
          </>
        )}
      </p>
    </section>
  );
}
