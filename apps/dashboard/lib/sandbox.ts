'use client';
import { ApiError, api } from './api';
import { useLoad } from './hooks';
import type { List, SandboxPhone } from './types';

/** The sandbox answers only when the server runs WA_NETWORK=sandbox; a 404 means "not here". */
export function useSandboxPhones() {
  return useLoad(async () => {
    try {
      return { available: true, phones: (await api<List<SandboxPhone>>('GET', '/api/v1/sandbox/phones')).data };
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return { available: false, phones: [] as SandboxPhone[] };
      throw error;
    }
  }, []);
}

export const createPhone = (name?: string) =>
  api<{ phone: SandboxPhone }>('POST', '/api/v1/sandbox/phones', name ? { name } : {}).then((res) => res.phone);

export const phonePath = (phone: string) => `/api/v1/sandbox/phones/${encodeURIComponent(phone.replace(/\D/g, ''))}`;
