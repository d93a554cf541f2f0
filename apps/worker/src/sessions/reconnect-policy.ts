/** Baileys' disconnect reasons (`lastDisconnect.error.output.statusCode`), see WA-SIM.md. */
export const DISCONNECT = {
  connectionClosed: 428,
  connectionLost: 408,
  loggedOut: 401,
  forbidden: 403,
  multideviceMismatch: 411,
  connectionReplaced: 440,
  badSession: 500,
  unavailableService: 503,
  restartRequired: 515,
} as const;

/** Baileys' message when the server sent every QR ref and nobody scanned. */
export const QR_ATTEMPTS_ENDED = 'QR refs attempts ended';

export interface ReconnectPolicy {
  /** Backoff ceiling before jitter for the first failure. */
  baseDelayMs: number;
  /** Largest delay, however many failures. */
  maxDelayMs: number;
  /** Consecutive failures after which the session is FAILED. */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10 };

export type ReconnectDecision =
  | {
      action: 'reconnect';
      delayMs: number;
      /** False for 515: a restart after pairing is expected, not a failure. */
      countsAsFailure: boolean;
      reason: string;
    }
  | {
      action: 'stop';
      status: 'DISCONNECTED' | 'LOGGED_OUT' | 'FAILED';
      /** 401: the device is unlinked, its creds are useless. */
      deleteCreds: boolean;
      /** 440: another socket holds the session; the gateway must resolve ownership. */
      leaseConflict: boolean;
      reason: string;
    };

const stop = (
  status: 'DISCONNECTED' | 'LOGGED_OUT' | 'FAILED',
  reason: string,
  flags: { deleteCreds?: boolean; leaseConflict?: boolean } = {},
): ReconnectDecision => ({ action: 'stop', status, reason, deleteCreds: flags.deleteCreds ?? false, leaseConflict: flags.leaseConflict ?? false });

/**
 * What to do after a socket closed. Pure: `attempt` is the count of consecutive failures
 * including this one (1 for the first), `random` in [0, 1) drives full jitter.
 */
export function decideReconnect(
  statusCode: number | undefined,
  message: string | undefined,
  attempt: number,
  policy: ReconnectPolicy = DEFAULT_RECONNECT_POLICY,
  random: number = Math.random(),
): ReconnectDecision {
  switch (statusCode) {
    case DISCONNECT.restartRequired:
      return { action: 'reconnect', delayMs: 0, countsAsFailure: false, reason: 'restart required' };
    case DISCONNECT.loggedOut:
      return stop('LOGGED_OUT', 'logged out', { deleteCreds: true });
    case DISCONNECT.connectionReplaced:
      return stop('DISCONNECTED', 'replaced by another connection', { leaseConflict: true });
    case DISCONNECT.forbidden:
      return stop('FAILED', 'forbidden');
    case DISCONNECT.multideviceMismatch:
      return stop('FAILED', 'multidevice mismatch');
    case DISCONNECT.connectionLost:
      if (message?.includes(QR_ATTEMPTS_ENDED) === true) return stop('DISCONNECTED', 'QR expired');
      break;
    default:
      // 428, 500, 503 and anything unknown (a dropped TCP connection has no code): back off.
      break;
  }
  if (attempt > policy.maxAttempts) return stop('FAILED', `gave up after ${policy.maxAttempts} attempts (last ${statusCode ?? 'no code'})`);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.min(Math.max(random, 0), 1);
  return { action: 'reconnect', delayMs: Math.floor(jitter * ceiling), countsAsFailure: true, reason: `closed (${statusCode ?? 'no code'})` };
}
