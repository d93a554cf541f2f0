'use client';
import { useCallback, useEffect, useState } from 'react';
import { api } from './api';
import type { List } from './types';

/** A cursor-paged list (`{ data, nextCursor }`) with "load more". */
export function useList<T>(path: string, limit = 50) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const url = useCallback((after: string | null) => `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${after ? `&cursor=${encodeURIComponent(after)}` : ''}`, [path, limit]);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    api<List<T>>('GET', url(null))
      .then((page) => {
        if (cancelled) return;
        setItems(page.data);
        setCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((err) => !cancelled && setError(err))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [url]);

  return {
    items,
    loading,
    error,
    more: cursor !== null,
    loadMore: async () => {
      if (!cursor) return;
      try {
        const page = await api<List<T>>('GET', url(cursor));
        setItems((prev) => [...prev, ...page.data]);
        setCursor(page.nextCursor);
      } catch (err) {
        setError(err);
      }
    },
    replace: (map: (item: T) => T) => setItems((prev) => prev.map(map)),
  };
}
