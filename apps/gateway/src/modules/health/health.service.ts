import type { HealthDetailedResponse } from '@wagate/contracts';

/** A dependency probe: resolves when the dependency answers. */
export type Probe = () => Promise<void>;

export interface HealthServiceOptions {
  probes: Record<string, Probe>;
  /** One hung dependency must not hang the readiness probe. */
  timeoutMs?: number;
  version?: string;
  startedAt?: number;
}

function withTimeout(probe: Probe, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    probe().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

// A probe error can carry a connection string; only a short, generic reason leaves the process.
function safeDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[url]')
    .replace(/\[?[0-9a-f]*:[0-9a-f:.]+\]?:\d+/gi, '[address]')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '[address]')
    .replace(/\b[a-z0-9-]+(\.[a-z0-9-]+)+:\d+\b/gi, '[address]')
    .slice(0, 120);
}

export function createHealthService(options: HealthServiceOptions) {
  const timeoutMs = options.timeoutMs ?? 2000;
  const startedAt = options.startedAt ?? Date.now();
  const probes: Record<string, Probe> = { ...options.probes };
  return {
    /** Adds a check composed later than the service (the rate limiter reports its Redis fallback). */
    addProbe(name: string, probe: Probe): void {
      probes[name] = probe;
    },
    async detailed(): Promise<HealthDetailedResponse> {
      const entries = await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          const t0 = performance.now();
          try {
            await withTimeout(probe, timeoutMs);
            return [name, { status: 'up' as const, latencyMs: Math.round(performance.now() - t0) }] as const;
          } catch (error) {
            return [name, { status: 'down' as const, latencyMs: Math.round(performance.now() - t0), detail: safeDetail(error) }] as const;
          }
        }),
      );
      const checks = Object.fromEntries(entries);
      const allUp = entries.every(([, c]) => c.status === 'up');
      return {
        status: allUp ? 'ok' : 'degraded',
        checks,
        ...(options.version ? { version: options.version } : {}),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
