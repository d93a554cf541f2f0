'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import { useAuth } from '@/lib/auth';
import { Loading } from './ui';

const NAV = [
  { href: '/sessions', label: 'Sessions' },
  { href: '/sandbox', label: 'Sandbox' },
  { href: '/account', label: 'Account & usage' },
];
const ADMIN_NAV = [
  { href: '/admin', label: 'Overview' },
  { href: '/admin/workers', label: 'Workers' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/logs', label: 'Logs' },
];

const PUBLIC = new Set(['/login', '/signup']);

export function Shell({ children }: { children: ReactNode }) {
  const { user, loading, logout } = useAuth();
  const pathname = usePathname().replace(/\/$/, '') || '/';
  const router = useRouter();
  const isPublic = PUBLIC.has(pathname);

  useEffect(() => {
    if (loading) return;
    if (!user && !isPublic) router.replace(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    if (user && pathname.startsWith('/admin') && user.role !== 'ADMIN') router.replace('/sessions');
  }, [user, loading, isPublic, pathname, router]);

  const current = (href: string) => (href === '/admin' ? pathname === '/admin' : pathname === href || pathname.startsWith(`${href}/`));

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href={user ? '/sessions' : '/login'} className="brand" aria-label="WAGate home">
          <span className="logo" aria-hidden="true">
            W
          </span>
          WAGate
        </Link>
        {user && (
          <nav aria-label="Main" className="nav">
            {NAV.map((item) => (
              <Link key={item.href} href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
                {item.label}
              </Link>
            ))}
            {user.role === 'ADMIN' && (
              <Link href="/admin" aria-current={pathname.startsWith('/admin') ? 'page' : undefined}>
                Admin
              </Link>
            )}
          </nav>
        )}
        {user && (
          <div className="who">
            <span className="email" title={user.email}>
              {user.email}
            </span>
            <span className="badge neutral">{user.tier}</span>
            <button
              type="button"
              className="btn small"
              onClick={() => {
                logout();
                router.replace('/login');
              }}
            >
              Log out
            </button>
          </div>
        )}
      </header>
      {user?.role === 'ADMIN' && pathname.startsWith('/admin') && (
        <nav aria-label="Admin" className="subnav">
          {ADMIN_NAV.map((item) => (
            <Link key={item.href} href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
              {item.label}
            </Link>
          ))}
        </nav>
      )}
      <main id="main" className="main" tabIndex={-1}>
        {isPublic ? children : loading || !user ? <Loading label="Checking your sign-in…" /> : children}
      </main>
    </>
  );
}
