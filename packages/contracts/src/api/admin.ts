import { z } from 'zod';
import { user } from './auth.js';
import {
  httpUrl,
  id,
  isoDateTime,
  LIMITS,
  listOf,
  listQuery,
  sessionStatus,
  SESSION_STATUSES,
  userRole,
  userTier,
  workerStatus,
} from './common.js';
import { session } from './sessions.js';

// Workers ---------------------------------------------------------------------------------------

/** `cpuUsage` and `memoryUsage` are percentages (0–100) of the worker's capacity, so machines compare. */
export const usagePercent = z.number().min(0).max(100);

export const worker = z.object({
  id,
  endpoint: z.string(),
  status: workerStatus,
  sessionCount: z.int().min(0),
  maxSessions: z.int().min(1),
  cpuUsage: usagePercent,
  memoryUsage: usagePercent,
  lastHeartbeat: isoDateTime.nullable(),
});
export type Worker = z.infer<typeof worker>;
export const workerResponse = z.object({ worker });
export type WorkerResponse = z.infer<typeof workerResponse>;
export const workerList = listOf(worker);
export type WorkerList = z.infer<typeof workerList>;

export const maxSessions = z.int().min(1).max(LIMITS.workerMaxSessions);

/** Registers a worker by hand; the gateway health-checks `endpoint` before marking it ONLINE. */
export const addWorkerBody = z.strictObject({ endpoint: httpUrl, maxSessions });
export type AddWorkerBody = z.infer<typeof addWorkerBody>;

export const workerParams = z.object({ id });
export type WorkerParams = z.infer<typeof workerParams>;

/** One sample of a worker's load (at most one per worker per minute, from its heartbeats). */
export const workerMetricSample = z.object({
  sampledAt: isoDateTime,
  sessionCount: z.int().min(0),
  cpuUsage: z.number().min(0),
  memoryUsage: z.number().min(0),
});
export type WorkerMetricSample = z.infer<typeof workerMetricSample>;
export const workerMetricsQuery = z.strictObject({
  /** From when (default: one hour ago). */
  since: isoDateTime.optional(),
});
export type WorkerMetricsQuery = z.infer<typeof workerMetricsQuery>;
export const workerMetricsResponse = z.object({ worker, samples: z.array(workerMetricSample) });
export type WorkerMetricsResponse = z.infer<typeof workerMetricsResponse>;

// Users and sessions ----------------------------------------------------------------------------

export const adminUserList = listOf(user);
export type AdminUserList = z.infer<typeof adminUserList>;

export const adminUserListQuery = listQuery.extend({ role: userRole.optional(), tier: userTier.optional() });
export type AdminUserListQuery = z.infer<typeof adminUserListQuery>;

export const adminUpdateUserBody = z
  .strictObject({ tier: userTier.optional(), role: userRole.optional(), isActive: z.boolean().optional() })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'give at least one of tier, role, isActive');
export type AdminUpdateUserBody = z.infer<typeof adminUpdateUserBody>;

export const adminUserResponse = z.object({ user });
export type AdminUserResponse = z.infer<typeof adminUserResponse>;

/** Admins see whose session it is and where it runs. */
export const adminSession = session.extend({ userId: id, workerId: z.string().nullable() });
export type AdminSession = z.infer<typeof adminSession>;
export const adminSessionList = listOf(adminSession);
export type AdminSessionList = z.infer<typeof adminSessionList>;

export const adminSessionListQuery = listQuery.extend({
  status: sessionStatus.optional(),
  userId: id.optional(),
  workerId: id.optional(),
});
export type AdminSessionListQuery = z.infer<typeof adminSessionListQuery>;

// System logs -----------------------------------------------------------------------------------

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const logLevel = z.enum(LOG_LEVELS);

export const systemLog = z.object({
  id,
  level: logLevel,
  /** What kind of record: `auth`, `session`, `worker`, `webhook`, `admin`… */
  category: z.string(),
  message: z.string(),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  workerId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  createdAt: isoDateTime,
});
export type SystemLog = z.infer<typeof systemLog>;
export const systemLogList = listOf(systemLog);
export type SystemLogList = z.infer<typeof systemLogList>;

export const systemLogListQuery = listQuery.extend({
  level: logLevel.optional(),
  category: z.string().min(1).max(64).optional(),
  userId: id.optional(),
  sessionId: id.optional(),
  workerId: id.optional(),
  since: isoDateTime.optional(),
});
export type SystemLogListQuery = z.infer<typeof systemLogListQuery>;

// Stats -----------------------------------------------------------------------------------------

const count = z.int().min(0);

/** `GET /admin/stats`. `byStatus` lists every session status, zero-filled, so charts need no guessing. */
export const adminStats = z.object({
  users: z.object({ total: count, active: count }),
  sessions: z.object({
    total: count,
    byStatus: z.object(Object.fromEntries(SESSION_STATUSES.map((status) => [status, count])) as Record<(typeof SESSION_STATUSES)[number], typeof count>),
  }),
  workers: z.object({ total: count, online: count, draining: count, offline: count, capacity: count }),
  messages: z.object({ sentLast24h: count, receivedLast24h: count, failedLast24h: count }),
  generatedAt: isoDateTime,
});
export type AdminStats = z.infer<typeof adminStats>;
