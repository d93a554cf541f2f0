import { z } from 'zod';

/** `GET /health`: liveness only, cheap enough for a Docker HEALTHCHECK every few seconds. */
export const healthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof healthResponse>;

export const dependencyCheck = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().min(0).optional(),
  /** A short, non-sensitive reason; never a connection string. */
  detail: z.string().optional(),
});

/** `GET /health/detailed`: 200 when every dependency is up, 503 otherwise, same body. */
export const healthDetailedResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), dependencyCheck),
  version: z.string().optional(),
  uptimeSeconds: z.number().min(0).optional(),
});
export type HealthDetailedResponse = z.infer<typeof healthDetailedResponse>;
