import type { Logger } from '../../logger.js';

/** The underlying socket's send, as `ws` has it: the callback fires once the bytes are written. */
export type RawSend = (data: Buffer, cb: (error?: Error | null) => void) => void;

export interface FrameGateOptions {
  /** Resolves once every state change made so far (Signal keys, creds) is stored. */
  flushState: () => Promise<void>;
  /**
   * Longest a frame waits for decrypted messages to be journaled: a safety bound (a decrypt that is
   * never announced would otherwise hold the socket), not a timing the gate relies on.
   */
  journalWaitMs?: number;
  /** Pause before retrying a state flush that failed (the store is away). */
  retryDelayMs?: number;
  logger?: Logger;
  /** Test hook: called synchronously right before each frame is written. */
  onWrite?: (bytes: number) => void;
}

export interface FrameGateStats {
  framesWritten: number;
  /** Rounds that released frames, or let a key batch be taken, after `journalWaitMs` with decrypted messages still unjournaled. */
  journalWaitTimeouts: number;
  /** Rounds that waited for a state flush to be retried. */
  flushRetries: number;
}

interface QueuedFrame {
  seq: number;
  data: Buffer;
}

interface DrainWaiter {
  upTo: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Resolves true if `promise` did not settle within `ms` (it is left running either way). */
async function timedOut(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    return await Promise.race([promise.then(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves the waiters whose mark is at most `upTo`; returns the ones still waiting. */
function release<W extends { upTo: number; resolve: () => void }>(waiters: W[], upTo: number): W[] {
  const still: W[] = [];
  for (const w of waiters) {
    if (w.upTo <= upTo) w.resolve();
    else still.push(w);
  }
  return still;
}

export class FrameDiscardedError extends Error {
  constructor(reason: string) {
    super(`Frames were not written: ${reason}`);
    this.name = 'FrameDiscardedError';
  }
}

/**
 * Write-ahead at the WhatsApp socket: a frame reaches the wire only after everything it depends on
 * is durable. Baileys commits Signal key changes after it hands the message to the socket
 * (`relayMessage` runs `sendNode` inside its key transaction) and sends the delivery receipt of an
 * incoming message before it announces the message. A worker killed in either window leaves a
 * peer that holds what we lost: a ratchet step the stored keys never took (every later message
 * of that pair fails to decrypt after failover) or a message WhatsApp will not deliver again.
 *
 * So every frame is queued and the caller is told it was written at once (Baileys must go on to
 * commit and to announce, which is what the frame waits for). A pump then takes the queued frames,
 * waits until the state store has flushed (covering the commit that followed the send) and until
 * every message decrypted before those frames is journaled, and writes them in order. `drained`
 * tells a sender when its frames really left. Frames keep their order: the noise cipher numbers
 * them, so one out of place would break the connection.
 */
export class FrameGate {
  readonly stats: FrameGateStats = { framesWritten: 0, journalWaitTimeouts: 0, flushRetries: 0 };
  readonly #write: RawSend;
  readonly #o: Required<Pick<FrameGateOptions, 'journalWaitMs' | 'retryDelayMs'>> & FrameGateOptions;
  #queue: QueuedFrame[] = [];
  #seq = 0;
  #written = 0;
  #waiters: DrainWaiter[] = [];
  /** Messages decrypted so far, and how many of those are journaled (Baileys decrypts one at a time). */
  #decrypts = 0;
  #journaled = 0;
  #journalWaiters: { upTo: number; resolve: () => void }[] = [];
  /** Decrypts running now. */
  #decrypting = 0;
  /** Decrypted messages Baileys has emitted (their stanza is done). */
  #announced = 0;
  /** Key batches waiting to be taken, and the next stanza's decrypts held until they are. */
  #holds = 0;
  #holdWaiters: (() => void)[] = [];
  /** Key batches waiting for a decrypt to end or a journaling to complete. */
  #changeWaiters: (() => void)[] = [];
  #pumping = false;
  #closed: FrameDiscardedError | null = null;

  constructor(write: RawSend, options: FrameGateOptions) {
    this.#write = write;
    this.#o = { journalWaitMs: 10_000, retryDelayMs: 200, ...options };
  }

  /** Queues a frame; the callback reports it written (see the class comment for why at once). */
  send(data: Buffer, cb?: (error?: Error | null) => void): void {
    if (this.#closed !== null) {
      cb?.(this.#closed);
      return;
    }
    this.#queue.push({ seq: ++this.#seq, data });
    cb?.();
    this.#schedule();
  }

  /**
   * Runs one decrypt. A message it decrypted holds its receipt, and every frame after it, until it
   * is journaled. The first decrypt of a stanza does not start while a key batch is being taken
   * (`holdDecrypts`); a later one of the same stanza (a group message carries a pkmsg and an
   * skmsg) does, since the batch waits for the stanza's message.
   */
  async decrypt<T>(work: () => Promise<T>): Promise<T> {
    while (this.#holds > 0 && this.#announced >= this.#decrypts) await new Promise<void>((resolve) => this.#holdWaiters.push(resolve));
    this.#decrypting++;
    try {
      const result = await work();
      this.#decrypts++;
      return result;
    } finally {
      this.#decrypting--;
      this.#changed();
    }
  }

  /**
   * Baileys emitted what was decrypted so far: the stanza it came in is done, its journaling has
   * begun. Called at the emit, before `journaled`.
   */
  announced(): void {
    this.#announced = this.#decrypts;
  }

  /**
   * For the state store's key flush (`AuthStateStore.setBatchGuard`): resolves at an instant when
   * no decrypt is running and every message decrypted so far is journaled, and holds the next
   * stanza's decrypt until the release it resolves with is called (the store takes its batch in
   * between). A batch so taken holds no ratchet step of a message the journal lacks: a worker
   * killed before journaling a message leaves stored state that can still decrypt it when
   * WhatsApp delivers it again (a pkmsg whose message key is gone is refused with no retry, and
   * lost). Bounded by `journalWaitMs`, like the frames.
   */
  async holdDecrypts(): Promise<() => void> {
    this.#holds++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.#holds--;
      if (this.#holds === 0) for (const resolve of this.#holdWaiters.splice(0)) resolve();
    };
    const deadline = Date.now() + this.#o.journalWaitMs;
    while (this.#decrypting > 0 || this.#journaled < this.#decrypts) {
      const left = deadline - Date.now();
      if (left <= 0 || (await timedOut(new Promise<void>((resolve) => this.#changeWaiters.push(resolve)), left))) {
        this.stats.journalWaitTimeouts++;
        this.#o.logger?.warn({ decrypting: this.#decrypting, waiting: this.#decrypts - this.#journaled }, 'Decrypted messages not journaled in time; key batch taken anyway');
        break;
      }
    }
    return release;
  }

  #changed(): void {
    for (const resolve of this.#changeWaiters.splice(0)) resolve();
  }

  /** How many messages were decrypted so far (what a journaling that starts now covers). */
  get decrypts(): number {
    return this.#decrypts;
  }

  /** The first `upTo` decrypted messages are journaled (or were never going to be). */
  journaled(upTo: number): void {
    if (upTo <= this.#journaled) return;
    this.#journaled = upTo;
    this.#journalWaiters = release(this.#journalWaiters, upTo);
    this.#changed();
  }

  /** Resolves when every frame queued so far is written; rejects if they were discarded. */
  drained(): Promise<void> {
    const seq = this.#seq;
    if (this.#written >= seq) return Promise.resolve();
    if (this.#closed !== null) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => this.#waiters.push({ upTo: seq, resolve, reject }));
  }

  /** Like `drained`, but never rejects and gives up after `ms` (before closing the socket). */
  async drainedWithin(ms: number): Promise<void> {
    await timedOut(this.drained().catch(() => undefined), ms);
  }

  /** The socket is gone: frames still queued are dropped and their senders told. */
  close(reason: string): void {
    if (this.#closed !== null) return;
    this.#closed = new FrameDiscardedError(reason);
    this.#queue = [];
    this.journaled(this.#decrypts);
    for (const w of this.#waiters.splice(0)) w.reject(this.#closed);
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    // After the current tick's promise jobs: Baileys' key commit runs right after its send resolves.
    setImmediate(() => void this.#pump());
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#closed === null) {
        const batch = this.#queue.splice(0);
        await Promise.all([this.#flushState(), this.#awaitJournal(this.#decrypts)]);
        if (this.#closed !== null) return;
        for (const frame of batch) {
          this.#o.onWrite?.(frame.data.length);
          this.#write(frame.data, (error) => this.#onWritten(frame.seq, error));
        }
      }
    } finally {
      this.#pumping = false;
      if (this.#queue.length > 0 && this.#closed === null) this.#schedule();
    }
  }

  async #flushState(): Promise<void> {
    for (;;) {
      try {
        await this.#o.flushState();
        return;
      } catch (error) {
        // Writing now would let a peer hold state we may lose: wait for the store instead. A
        // session whose store is fenced is being stopped, which closes this gate.
        if (this.#closed !== null) return;
        this.stats.flushRetries++;
        this.#o.logger?.warn({ err: error }, 'State flush before a WhatsApp frame failed; holding the frame');
        await new Promise((r) => setTimeout(r, this.#o.retryDelayMs));
        if (this.#closed !== null) return;
      }
    }
  }

  async #awaitJournal(upTo: number): Promise<void> {
    if (this.#journaled >= upTo) return;
    const done = new Promise<void>((resolve) => this.#journalWaiters.push({ upTo, resolve }));
    if (await timedOut(done, this.#o.journalWaitMs)) {
      this.stats.journalWaitTimeouts++;
      this.#o.logger?.warn({ waiting: upTo - this.#journaled }, 'Decrypted messages not journaled in time; frames released');
      this.journaled(upTo);
    }
  }

  #onWritten(seq: number, error: Error | null | undefined): void {
    // `ws` reports success with null.
    if (error !== undefined && error !== null) {
      this.close(error.message);
      return;
    }
    this.stats.framesWritten++;
    this.#written = Math.max(this.#written, seq);
    if (this.#waiters.length > 0) this.#waiters = release(this.#waiters, this.#written);
  }
}
