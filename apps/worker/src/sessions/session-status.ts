/** Session statuses shared with the gateway (DESIGN.md §5). */
export const SESSION_STATUSES = ['DISCONNECTED', 'CONNECTING', 'QR_READY', 'CONNECTED', 'LOGGED_OUT', 'FAILED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/**
 * Every allowed status change, in one table. Staying in the same status is not a transition
 * (a QR rotating, a reconnect attempt while CONNECTING) and is not listed.
 */
export const SESSION_TRANSITIONS: Readonly<Record<SessionStatus, readonly SessionStatus[]>> = {
  // start / restore; logout of a stopped session deletes its creds
  DISCONNECTED: ['CONNECTING', 'LOGGED_OUT'],
  // pairing needed, stored creds accepted, or the first socket closed
  CONNECTING: ['QR_READY', 'CONNECTED', 'DISCONNECTED', 'LOGGED_OUT', 'FAILED'],
  // scanned (515 restart → new socket), QR expired, stopped, refused
  QR_READY: ['CONNECTING', 'CONNECTED', 'DISCONNECTED', 'LOGGED_OUT', 'FAILED'],
  // dropped (reconnect), stopped or replaced, logged out, refused
  CONNECTED: ['CONNECTING', 'DISCONNECTED', 'LOGGED_OUT', 'FAILED'],
  // a new start pairs again
  LOGGED_OUT: ['CONNECTING'],
  // an operator retries, stops to clear the failure, or logs out
  FAILED: ['CONNECTING', 'DISCONNECTED', 'LOGGED_OUT'],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: SessionStatus,
    readonly to: SessionStatus,
  ) {
    super(`Illegal session status transition ${from} → ${to}.`);
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return SESSION_TRANSITIONS[from].includes(to);
}

/** Returns `to`, or throws: an illegal transition is a bug in the caller, not a runtime condition. */
export function assertTransition(from: SessionStatus, to: SessionStatus): SessionStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  return to;
}
