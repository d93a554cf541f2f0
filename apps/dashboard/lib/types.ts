// Shapes of the public API (API.md). Kept here rather than imported from @wagate/contracts so the
// browser bundle carries no zod and no server code.

export type Role = 'USER' | 'ADMIN';
export type Tier = 'BASIC' | 'PRO' | 'MAX';
export type SessionStatus = 'DISCONNECTED' | 'CONNECTING' | 'QR_READY' | 'CONNECTED' | 'LOGGED_OUT' | 'FAILED';

export interface User {
  id: string;
  email: string;
  role: Role;
  tier: Tier;
  isActive: boolean;
  createdAt: string;
}

export interface List<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Session {
  id: string;
  name: string;
  status: SessionStatus;
  phoneNumber: string | null;
  workerId?: string | null;
  createdAt: string;
  updatedAt: string;
  lastActivityAt: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}
export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface Message {
  id: string;
  sessionId: string;
  chatId: string;
  from: string;
  to: string;
  fromMe: boolean;
  type: string;
  text?: string;
  media?: { mimetype?: string; caption?: string; url?: string; filename?: string } | null;
  status: 'PENDING' | 'SENT' | 'DELIVERED' | 'READ' | 'FAILED';
  timestamp: string;
}

export const EVENT_TYPES = ['session.status', 'session.qr', 'message.received', 'message.sent', 'message.status', 'message.failed'] as const;

export interface Webhook {
  id: string;
  sessionId: string;
  url: string;
  events: string[];
  active: boolean;
  disabledReason?: string | null;
  failureCount?: number;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  event: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  attempts: number;
  responseCode: number | null;
  nextRetry: string | null;
  createdAt: string;
  lastError?: string | null;
  deliveredAt?: string | null;
}

export interface SandboxPhone {
  phoneNumber: string;
  name: string;
}

export interface SandboxMessage {
  id: string;
  direction: 'in' | 'out';
  from: string;
  to: string;
  type: string;
  text?: string;
  timestamp: string;
  receipts: { status: 'DELIVERED' | 'READ'; at: string }[];
}

export interface Worker {
  id: string;
  endpoint: string;
  status: 'ONLINE' | 'OFFLINE' | 'DRAINING';
  sessionCount: number;
  maxSessions: number;
  cpuUsage: number;
  memoryUsage: number;
  lastHeartbeat: string | null;
}

export interface SystemLog {
  id: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  category: string;
  message: string;
  userId: string | null;
  sessionId: string | null;
  workerId: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

export interface AdminStats {
  users: { total: number; active: number };
  sessions: { total: number; byStatus: Record<SessionStatus, number> };
  workers: { total: number; online: number; draining: number; offline: number; capacity: number };
  messages: { sentLast24h: number; receivedLast24h: number; failedLast24h: number };
  generatedAt: string;
}

export interface Usage {
  from: string;
  to: string;
  days: { date: string; metrics: Record<string, number> }[];
  totals: Record<string, number>;
  /** The caller's tier allowances, as the gateway enforces them. */
  limits?: { tier: Tier; messagesPerHour: number; apiCallsPerHour: number; sessions: number };
}

