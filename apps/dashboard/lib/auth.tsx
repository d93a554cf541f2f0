'use client';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, getTokens, onTokens, setTokens, type Tokens } from './api';
import type { User } from './types';

interface AuthState {
  user: User | null;
  /** True until the stored token has been checked. */
  loading: boolean;
  login: (email: string, password: string) => Promise<void>;
  register: (email: string, password: string) => Promise<void>;
  logout: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let cancelled = false;
    // Lets tests (and anyone scripting the console) wait until React owns the inputs.
    document.documentElement.dataset.hydrated = 'true';
    if (!getTokens()) {
      setLoading(false);
    } else {
      api<{ user: User }>('GET', '/api/v1/auth/me')
        .then((res) => !cancelled && setUser(res.user))
        .catch(() => !cancelled && setTokens(null))
        .finally(() => !cancelled && setLoading(false));
    }
    // A failed refresh (or a logout in another tab) clears the tokens: the user is signed out.
    const stop = onTokens((tokens) => {
      if (!tokens) setUser(null);
    });
    const onStorage = (event: StorageEvent) => {
      if (event.key === 'wagate.tokens' && event.newValue === null) setUser(null);
    };
    window.addEventListener('storage', onStorage);
    return () => {
      cancelled = true;
      stop();
      window.removeEventListener('storage', onStorage);
    };
  }, []);

  const accept = useCallback((res: Tokens & { user: User }) => {
    setTokens({ token: res.token, refreshToken: res.refreshToken });
    setUser(res.user);
  }, []);

  const value = useMemo<AuthState>(
    () => ({
      user,
      loading,
      login: async (email, password) => accept(await api('POST', '/api/v1/auth/login', { email, password })),
      register: async (email, password) => accept(await api('POST', '/api/v1/auth/register', { email, password })),
      logout: () => {
        setTokens(null);
        setUser(null);
      },
    }),
    [user, loading, accept],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}
