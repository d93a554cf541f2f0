// Live session events. EventSource cannot send an Authorization header, so the stream is read with
// fetch and parsed here; it reconnects after a drop until the caller stops it.
import { authFetch } from './api';

export interface LiveEvent {
  type: string;
  data: unknown;
}

export function subscribeSession(sessionId: string, onEvent: (event: LiveEvent) => void, onConnected?: (connected: boolean) => void): () => void {
  const controller = new AbortController();
  let retryMs = 3_000;

  const dispatch = (frame: string) => {
    let type = 'message';
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
    }
    if (data.length === 0) return;
    try {
      const payload = JSON.parse(data.join('\n')) as { data?: unknown };
      onEvent({ type, data: payload.data ?? payload });
    } catch {
      // a frame that is not JSON is not ours
    }
  };

  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await authFetch(`/api/v1/sessions/${encodeURIComponent(sessionId)}/events`, { headers: { accept: 'text/event-stream' } }, { signal: controller.signal });
        // 404: the session is gone; 401 after a refresh: signed out. Neither gets better by retrying.
        if (res.status === 404 || res.status === 401) return;
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        onConnected?.(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      onConnected?.(false);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void run();
  return () => controller.abort();
}
