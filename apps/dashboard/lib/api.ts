// The only way the dashboard talks to the gateway: same-origin fetch to the public API (API.md).
// Tokens live in localStorage; a 401 refreshes once (shared by concurrent callers) and retries.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    const fields = problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    super(fields ? `${problem.detail ?? problem.title ?? 'Request failed'} (${fields})` : (problem.detail ?? problem.title ?? `Request failed (${status})`));
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

export interface Tokens {
  token: string;
  refreshToken: string;
}

const TOKENS_KEY = 'wagate.tokens';
const listeners = new Set<(tokens: Tokens | null) => void>();

function readTokens(): Tokens | null {
  if (typeof window === 'undefined') return null;
  try {
    const raw = window.localStorage.getItem(TOKENS_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

let tokens: Tokens | null = readTokens();

export function getTokens(): Tokens | null {
  return tokens;
}

export function setTokens(next: Tokens | null): void {
  tokens = next;
  if (next) window.localStorage.setItem(TOKENS_KEY, JSON.stringify(next));
  else window.localStorage.removeItem(TOKENS_KEY);
  for (const listener of listeners) listener(next);
}

export function onTokens(listener: (tokens: Tokens | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time: parallel 401s wait for the same new token pair. */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = tokens;
    if (!current) return false;
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (!res.ok) {
        setTokens(null);
        return false;
      }
      setTokens((await res.json()) as Tokens);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export interface CallOptions {
  /** A session API key instead of the JWT (the external messaging API). */
  apiKey?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** fetch with the JWT (or an API key), refreshing the JWT once on 401. */
export async function authFetch(path: string, init: RequestInit = {}, options: CallOptions = {}): Promise<Response> {
  const send = () => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    const bearer = options.apiKey ?? tokens?.token;
    if (bearer) headers.set('authorization', `Bearer ${bearer}`);
    return fetch(path, { ...init, headers, signal: options.signal ?? init.signal ?? null });
  };
  let res = await send();
  if (res.status === 401 && !options.apiKey && tokens && (await refresh())) res = await send();
  return res;
}

async function problemOf(res: Response): Promise<ApiError> {
  let problem: Problem = { status: res.status };
  try {
    problem = (await res.json()) as Problem;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  return new ApiError(res.status, problem);
}

/** A JSON call: the parsed body on 2xx, an ApiError carrying the problem+json otherwise. */
export async function api<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  let res: Response;
  try {
    res = await authFetch(path, init, options);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, { title: 'Network error', detail: 'The gateway did not answer. Check your connection and try again.' });
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
