'use client';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Loads on mount and when `deps` change; `pollMs` refreshes quietly in the background. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const alive = useRef(true);

  const reload = useCallback(async () => {
    try {
      const value = await loadRef.current();
      if (!alive.current) return;
      setData(value);
      setError(undefined);
    } catch (err) {
      if (alive.current) setError(err);
    } finally {
      if (alive.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    setLoading(true);
    void reload();
    const timer = pollMs ? setInterval(() => void reload(), pollMs) : undefined;
    return () => {
      alive.current = false;
      if (timer) clearInterval(timer);
    };
  }, deps);

  return { data, error, loading, reload };
}

/** Reads `?name=` on the client (static export: no server-side params). */
export function useQueryParam(name: string): string | null | undefined {
  const [value, setValue] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setValue(new URLSearchParams(window.location.search).get(name));
  }, [name]);
  return value;
}

/** Session API keys this browser created, kept so the dashboard can send test messages with them. */
const KEYS = 'wagate.sessionKeys';
export function storedKey(sessionId: string): string | null {
  try {
    const all = JSON.parse(window.localStorage.getItem(KEYS) ?? '{}') as Record<string, string>;
    return all[sessionId] ?? null;
  } catch {
    return null;
  }
}
export function storeKey(sessionId: string, key: string | null): void {
  let all: Record<string, string> = {};
  try {
    all = JSON.parse(window.localStorage.getItem(KEYS) ?? '{}') as Record<string, string>;
  } catch {
    // a corrupt entry is replaced
  }
  if (key) all[sessionId] = key;
  else delete all[sessionId];
  window.localStorage.setItem(KEYS, JSON.stringify(all));
}

export const formatTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
export const digits = (phone: string | null | undefined): string => (phone ?? '').replace(/\D/g, '');

/** A user action (a form submit): `busy` while it runs and its error, cleared when it runs again. */
export function useAction(): { busy: boolean; error: unknown; run: (work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
