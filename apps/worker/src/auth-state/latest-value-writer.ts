interface Waiter {
  version: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes a value that only matters in its latest version (Baileys' creds): at most one write in
 * flight, bursts coalesce into the newest value, and each `write` resolves once its version or
 * a later one is stored.
 */
export class LatestValueWriter {
  #pending: string | undefined;
  #inflight: string | undefined;
  #requested = 0;
  #loop: Promise<void> | null = null;
  #waiters: Waiter[] = [];
  /** Completed writes, for measurements. */
  writes = 0;

  constructor(
    private readonly store: (text: string) => Promise<void>,
    /** Errors after which the value is dropped instead of kept for the next attempt. */
    private readonly isFinal: (error: unknown) => boolean = () => false,
  ) {}

  /** The newest value not yet known to be stored (read-your-writes). */
  get unsaved(): string | undefined {
    return this.#pending ?? this.#inflight;
  }

  get busy(): Promise<void> | null {
    return this.#loop;
  }

  write(text: string): Promise<void> {
    this.#pending = text;
    return this.#waitFor(++this.#requested);
  }

  /** Resolves when everything written so far is stored (retrying a value a failure kept). */
  flush(): Promise<void> {
    if (this.#pending === undefined && this.#loop === null) return Promise.resolve();
    return this.#waitFor(this.#requested);
  }

  /** Forgets unsaved values; their callers are released, not failed (logout deletes them anyway). */
  clear(): void {
    this.#pending = undefined;
    this.#inflight = undefined;
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #waitFor(version: number): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ version, resolve, reject }));
    this.#loop ??= this.#run();
    return done;
  }

  async #run(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const text = this.#pending;
        const version = this.#requested;
        this.#pending = undefined;
        this.#inflight = text;
        try {
          await this.store(text);
        } catch (error) {
          this.#inflight = undefined;
          // Keep the latest value for the next attempt unless a newer one arrived or it is hopeless.
          if (!this.isFinal(error)) this.#pending ??= text;
          for (const w of this.#waiters.splice(0)) w.reject(error);
          return;
        }
        this.#inflight = undefined;
        this.writes++;
        this.#waiters = this.#waiters.filter((w) => {
          if (w.version > version) return true;
          w.resolve();
          return false;
        });
      }
    } finally {
      this.#loop = null;
    }
  }
}
