/** Spacing of sends from one WhatsApp number (DESIGN.md §8): human-like gaps so a quota never becomes a ban. */
export interface PacerSettings {
  minIntervalMs: number;
  jitterMs: number;
  maxQueue: number;
}

export class PacerQueueFullError extends Error {
  constructor(readonly maxQueue: number) {
    super(`More than ${maxQueue} messages are already waiting to be sent from this number.`);
    this.name = 'PacerQueueFullError';
  }
}

/**
 * Runs tasks one at a time, each starting at least `minIntervalMs + random·jitterMs` after the
 * previous one started. A queue beyond `maxQueue` refuses new work instead of growing.
 */
export class OutboundPacer {
  #lastStart = 0;
  #queued = 0;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: PacerSettings,
    private readonly random: () => number = Math.random,
  ) {}

  get queued(): number {
    return this.#queued;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#queued >= this.settings.maxQueue) return Promise.reject(new PacerQueueFullError(this.settings.maxQueue));
    this.#queued++;
    const result = this.#tail.then(async () => {
      const gap = this.settings.minIntervalMs + Math.floor(this.random() * this.settings.jitterMs);
      const wait = this.#lastStart + gap - Date.now();
      if (this.#lastStart > 0 && wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.#lastStart = Date.now();
      try {
        return await task();
      } finally {
        this.#queued--;
      }
    });
    // The chain must survive a failed task; the caller still sees the failure through `result`.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
