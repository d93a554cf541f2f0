import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { workerHeartbeatResponse, workerRegisterResponse } from '@wagate/contracts';
import type { SessionAssignment, WorkerHeartbeatBody, WorkerRegisterResponse } from '@wagate/contracts';
import type { Logger } from '../logger.js';

export interface GatewayLinkOptions {
  gatewayUrl: string;
  /** The bootstrap WORKER_TOKEN; replaced by the per-worker token registration returns. */
  bootstrapToken: string;
  workerId?: string;
  endpoint: string;
  maxSessions: number;
  version: string;
  logger?: Logger;
  dispatcher?: Dispatcher;
  /** What the heartbeat reports; called at every beat. */
  snapshot(): Omit<WorkerHeartbeatBody, 'maxSessions'>;
  /** The per-worker token (use it for events too). */
  onToken?(token: string, workerId: string): void;
  /** Sessions the gateway moved elsewhere: stop them without logging out. */
  onDropSessions?(sessions: SessionAssignment[]): void;
  /** The lease is about to expire unrenewed: stop every session before it can be granted elsewhere. */
  onLeaseLost?(): void;
  /** A renewal succeeded after `onLeaseLost`: the worker may take sessions again. */
  onLeaseRenewed?(): void;
  /** Retry pacing for registration. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class GatewayRefusedError extends Error {
  constructor(readonly status: number, path: string) {
    super(`The gateway answered ${status} to ${path}.`);
    this.name = 'GatewayRefusedError';
  }
}

/**
 * Registration and heartbeats (DESIGN.md §6). The lease is renewed by every successful beat;
 * when beats keep failing, `onLeaseLost` fires one heartbeat interval before the lease would
 * expire, so this worker's sockets are closed before the gateway may hand its sessions to
 * another worker. A timer watches the deadline on its own: a beat whose request hangs (a dead
 * keep-alive socket waits for the request timeout) must not postpone the check past the lease.
 */
export class GatewayLink {
  readonly #o: GatewayLinkOptions;
  #token: string;
  #workerId: string | undefined;
  #intervalMs = 5000;
  #leaseTtlMs = 15_000;
  #leaseDeadline = 0;
  #leaseLost = false;
  #timer: NodeJS.Timeout | null = null;
  #leaseWatch: NodeJS.Timeout | null = null;
  #running = false;
  #beating = false;

  constructor(options: GatewayLinkOptions) {
    this.#o = { ...options, gatewayUrl: options.gatewayUrl.replace(/\/+$/, '') };
    this.#token = options.bootstrapToken;
    this.#workerId = options.workerId;
  }

  get workerId(): string | undefined {
    return this.#workerId;
  }

  get token(): string {
    return this.#token;
  }

  /** The lease length the gateway granted last. */
  get leaseTtlMs(): number {
    return this.#leaseTtlMs;
  }

  /** True while the last renewal is still valid. */
  get leaseValid(): boolean {
    return Date.now() < this.#leaseDeadline;
  }

  /** Registers, retrying with backoff until the gateway answers (or `stop` is called). */
  async register(): Promise<WorkerRegisterResponse> {
    this.#running = true;
    let delay = this.#o.minBackoffMs ?? 500;
    for (;;) {
      const started = Date.now();
      try {
        const body = await this.#post('/api/v1/internal/workers/register', {
          ...(this.#workerId === undefined ? {} : { workerId: this.#workerId }),
          endpoint: this.#o.endpoint,
          maxSessions: this.#o.maxSessions,
          version: this.#o.version,
        });
        const registered = workerRegisterResponse.parse(body);
        this.#workerId = registered.workerId;
        this.#token = registered.token;
        this.#intervalMs = registered.heartbeatIntervalMs;
        this.#leaseTtlMs = registered.leaseTtlMs;
        this.#renewed(started + registered.leaseTtlMs);
        this.#o.onToken?.(registered.token, registered.workerId);
        this.#o.logger?.info({ workerId: registered.workerId, heartbeatIntervalMs: registered.heartbeatIntervalMs }, 'Registered with the gateway');
        return registered;
      } catch (error) {
        if (!this.#running) throw error;
        this.#o.logger?.warn({ err: error, retryInMs: delay }, 'Registration failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(this.#o.maxBackoffMs ?? 10_000, delay * 2);
      }
    }
  }

  /** Beats every heartbeat interval until `stop`. */
  startHeartbeat(): void {
    this.#running = true;
    this.#beating = true;
    this.#armLeaseWatch();
    const beat = async (): Promise<void> => {
      await this.heartbeat().catch((error: unknown) => this.#o.logger?.warn({ err: error }, 'Heartbeat failed'));
      this.#checkLease();
      if (this.#running) this.#timer = setTimeout(() => void beat(), this.#intervalMs);
    };
    this.#timer = setTimeout(() => void beat(), this.#intervalMs);
  }

  /** One heartbeat; renews the lease on success. */
  async heartbeat(): Promise<void> {
    if (this.#workerId === undefined) throw new Error('Not registered.');
    const started = Date.now();
    const body = await this.#post(`/api/v1/internal/workers/${encodeURIComponent(this.#workerId)}/heartbeat`, {
      ...this.#o.snapshot(),
      maxSessions: this.#o.maxSessions,
    });
    const answer = workerHeartbeatResponse.parse(body);
    if (answer.ok) {
      this.#leaseTtlMs = answer.leaseTtlMs;
      this.#renewed(started + answer.leaseTtlMs);
    }
    if (answer.dropSessions !== undefined && answer.dropSessions.length > 0) this.#o.onDropSessions?.(answer.dropSessions);
  }

  stop(): void {
    this.#running = false;
    this.#beating = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#leaseWatch !== null) clearTimeout(this.#leaseWatch);
    this.#leaseWatch = null;
  }

  #renewed(deadline: number): void {
    // An answer that took so long the renewal is already inside the safety interval renews nothing.
    if (Date.now() + this.#intervalMs >= deadline) return;
    this.#leaseDeadline = deadline;
    const wasLost = this.#leaseLost;
    this.#leaseLost = false;
    this.#armLeaseWatch();
    if (wasLost) {
      this.#o.logger?.info('Lease renewed; taking sessions again');
      this.#o.onLeaseRenewed?.();
    }
  }

  /** Fires the lease check when the deadline (less one interval) comes, whatever the beat in flight is doing. */
  #armLeaseWatch(): void {
    if (this.#leaseWatch !== null) clearTimeout(this.#leaseWatch);
    this.#leaseWatch = null;
    if (!this.#beating || this.#leaseDeadline === 0) return;
    this.#leaseWatch = setTimeout(() => {
      this.#leaseWatch = null;
      this.#checkLease();
      // A timer may fire a millisecond early: look again until the lease is renewed or lost.
      if (!this.#leaseLost) this.#armLeaseWatch();
    }, Math.max(0, this.#leaseDeadline - this.#intervalMs - Date.now()));
    this.#leaseWatch.unref();
  }

  #checkLease(): void {
    // Act one interval early: the next beat might come too late to stop in time.
    if (!this.#leaseLost && this.#leaseDeadline > 0 && Date.now() + this.#intervalMs >= this.#leaseDeadline) {
      this.#leaseLost = true;
      this.#o.logger?.error({ leaseDeadline: new Date(this.#leaseDeadline).toISOString() }, 'Lease not renewed; stopping every session');
      this.#o.onLeaseLost?.();
    }
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const response = await request(`${this.#o.gatewayUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
      body: JSON.stringify(body),
      // No answer is worth waiting for past the lease; the lease watch acts on its own anyway.
      headersTimeout: Math.min(10_000, this.#leaseTtlMs),
      bodyTimeout: Math.min(10_000, this.#leaseTtlMs),
      ...(this.#o.dispatcher === undefined ? {} : { dispatcher: this.#o.dispatcher }),
    });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) throw new GatewayRefusedError(response.statusCode, path);
    return text === '' ? {} : (JSON.parse(text) as unknown);
  }
}
