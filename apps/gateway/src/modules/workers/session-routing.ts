import type {
  ContactsCheckResponse,
  List,
  Message,
  MessageListQuery,
  SendMessageBody,
  SessionCommandResponse,
  StartSessionCommand,
  WorkerSessionView,
} from '@wagate/contracts';

/**
 * The seam between the sessions/messages modules and the worker fleet. The workers module owns
 * the implementation (placement, the routing table `sessions.worker_id/epoch` cached in the
 * Coordinator, and an undici client with keep-alive pools); callers see only these two ports.
 */

/** Where a session lives now: the worker, how to reach it, and the fencing epoch of this assignment. */
export interface SessionRoute {
  sessionId: string;
  workerId: string;
  endpoint: string;
  epoch: number;
}

export interface SessionRouting {
  /** The current route, or null when the session is not placed or its worker is not ONLINE/DRAINING. */
  current(sessionId: string): Promise<SessionRoute | null>;
  /**
   * Assigns the session to a worker for a new connect: keeps its worker when that one is ONLINE,
   * otherwise picks one with the load balancer; always increments `epoch` and writes the routing.
   * Throws ServiceUnavailableError('NO_WORKER_AVAILABLE') when no worker fits.
   */
  place(sessionId: string): Promise<SessionRoute>;
  /** Forgets the assignment (worker_id null) after logout or delete; the epoch is kept. */
  release(sessionId: string): Promise<void>;
}

/**
 * Gateway → worker calls. Worker problem+json answers come back as AppErrors with the worker's
 * code (e.g. SESSION_NOT_CONNECTED, STALE_EPOCH), stripped of worker internals; a worker that
 * cannot be reached is ServiceUnavailableError('WORKER_UNREACHABLE').
 */
export interface WorkerClient {
  start(route: SessionRoute, options?: Pick<StartSessionCommand, 'method' | 'phoneNumber'>): Promise<SessionCommandResponse>;
  restore(route: SessionRoute): Promise<SessionCommandResponse>;
  stop(route: SessionRoute): Promise<SessionCommandResponse>;
  logout(route: SessionRoute): Promise<SessionCommandResponse>;
  delete(route: SessionRoute): Promise<void>;
  session(route: SessionRoute): Promise<WorkerSessionView>;
  send(route: SessionRoute, message: SendMessageBody, messageId?: string): Promise<Message>;
  message(route: SessionRoute, messageId: string): Promise<Message>;
  history(route: SessionRoute, query: MessageListQuery): Promise<List<Message>>;
  media(route: SessionRoute, messageId: string): Promise<{ contentType: string; body: Buffer }>;
  contactsCheck(route: SessionRoute, phones: string[]): Promise<ContactsCheckResponse>;
}
