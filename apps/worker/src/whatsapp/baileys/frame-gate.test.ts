import { describe, expect, it } from 'vitest';
import { FrameDiscardedError, FrameGate } from './frame-gate.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A raw socket that records what reached it, answering each write at once (or with `fail`). */
function wire(fail?: Error) {
  const written: string[] = [];
  const send = (data: Buffer, cb: (error?: Error | null) => void) => {
    written.push(data.toString());
    queueMicrotask(() => cb(fail ?? null));
  };
  return { written, send };
}

/** A state store whose flushes the test releases by hand. */
function manualFlush() {
  const pending: (() => void)[] = [];
  let failures = 0;
  return {
    flushState: () =>
      new Promise<void>((resolve, reject) => {
        if (failures > 0) {
          failures--;
          reject(new Error('store away'));
          return;
        }
        pending.push(resolve);
      }),
    release: () => pending.splice(0).forEach((r) => r()),
    failNext: (n: number) => (failures = n),
  };
}

describe('FrameGate', () => {
  it('tells the sender "written" at once but holds the frame until the state flush that follows it', async () => {
    const w = wire();
    const store = manualFlush();
    const gate = new FrameGate(w.send, { flushState: store.flushState });
    let acknowledged = false;
    gate.send(Buffer.from('a'), () => (acknowledged = true));
    expect(acknowledged).toBe(true);
    await tick();
    expect(w.written).toEqual([]);
    store.release();
    await gate.drained();
    expect(w.written).toEqual(['a']);
  });

  it('keeps frames in order across rounds and resolves drained only once they are written', async () => {
    const w = wire();
    const store = manualFlush();
    const gate = new FrameGate(w.send, { flushState: store.flushState });
    gate.send(Buffer.from('1'));
    await tick();
    gate.send(Buffer.from('2'));
    gate.send(Buffer.from('3'));
    let drained = false;
    const done = gate.drained().then(() => (drained = true));
    store.release(); // round 1: frame 1
    await tick();
    await tick();
    expect(w.written).toEqual(['1']);
    expect(drained).toBe(false);
    store.release(); // round 2: frames 2 and 3
    await done;
    expect(w.written).toEqual(['1', '2', '3']);
    expect(gate.stats.framesWritten).toBe(3);
  });

  it('holds frames while a decrypted message is not journaled, and lets them go once it is', async () => {
    const w = wire();
    const gate = new FrameGate(w.send, { flushState: async () => undefined });
    await gate.decrypt(async () => 'plaintext');
    const covers = gate.decrypts;
    gate.send(Buffer.from('receipt'));
    for (let i = 0; i < 5; i++) await tick();
    expect(w.written).toEqual([]);
    gate.journaled(covers);
    await gate.drained();
    expect(w.written).toEqual(['receipt']);
  });

  it('releases frames after the journal wait bound and says so in its stats', async () => {
    const w = wire();
    const gate = new FrameGate(w.send, { flushState: async () => undefined, journalWaitMs: 20 });
    await gate.decrypt(async () => 'plaintext'); // never journaled
    gate.send(Buffer.from('x'));
    await gate.drained();
    expect(w.written).toEqual(['x']);
    expect(gate.stats.journalWaitTimeouts).toBe(1);
  });

  it('a key batch waits for the decrypt running and for the journaling of what it decrypted, and the next stanza waits for the batch', async () => {
    const gate = new FrameGate(wire().send, { flushState: async () => undefined });
    const log: string[] = [];
    let finish!: () => void;
    const first = gate.decrypt(() => new Promise<string>((resolve) => (finish = () => resolve('one'))));
    await tick();
    let taken = false;
    const hold = gate.holdDecrypts().then((release) => {
      taken = true;
      log.push('batch taken');
      return release;
    });
    const second = gate.decrypt(async () => log.push('second decrypt'));
    for (let i = 0; i < 5; i++) await tick();
    expect(taken).toBe(false);
    finish();
    await first;
    const covers = gate.decrypts;
    gate.announced();
    for (let i = 0; i < 5; i++) await tick();
    expect(taken).toBe(false); // decrypted, not journaled yet
    gate.journaled(covers);
    const release = await hold;
    for (let i = 0; i < 5; i++) await tick();
    expect(log).toEqual(['batch taken']); // the second decrypt waits for the release
    release();
    await second;
    expect(log).toEqual(['batch taken', 'second decrypt']);
    expect(gate.decrypts).toBe(2);
  });

  it('the second decrypt of one stanza (a group message: pkmsg, then skmsg) goes on while a key batch waits for that stanza', async () => {
    const gate = new FrameGate(wire().send, { flushState: async () => undefined, journalWaitMs: 60_000 });
    await gate.decrypt(async () => 'sender key distribution');
    let taken = false;
    const hold = gate.holdDecrypts().then((release) => ((taken = true), release));
    // Not announced yet: the stanza is still being decrypted, so its next part may not wait.
    await gate.decrypt(async () => 'group text');
    expect(taken).toBe(false);
    gate.announced();
    gate.journaled(gate.decrypts);
    (await hold)();
    expect(taken).toBe(true);
  });

  it('a failed decrypt leaves nothing to journal', async () => {
    const gate = new FrameGate(wire().send, { flushState: async () => undefined, journalWaitMs: 60_000 });
    await expect(gate.decrypt(async () => Promise.reject(new Error('Bad MAC')))).rejects.toThrow('Bad MAC');
    expect(gate.decrypts).toBe(0);
    const release = await gate.holdDecrypts();
    release();
  });

  it('retries a failed state flush instead of writing frames whose state may be lost', async () => {
    const w = wire();
    const store = manualFlush();
    store.failNext(2);
    const gate = new FrameGate(w.send, { flushState: store.flushState, retryDelayMs: 5 });
    gate.send(Buffer.from('f'));
    await new Promise((r) => setTimeout(r, 40));
    expect(w.written).toEqual([]);
    expect(gate.stats.flushRetries).toBe(2);
    store.release();
    await gate.drained();
    expect(w.written).toEqual(['f']);
  });

  it('drops held frames when the socket closes: drained rejects, later sends fail, close waits within a bound', async () => {
    const w = wire();
    const store = manualFlush();
    const gate = new FrameGate(w.send, { flushState: store.flushState });
    gate.send(Buffer.from('lost'));
    const drained = gate.drained();
    await gate.drainedWithin(10); // gives up without throwing
    gate.close('socket closed');
    await expect(drained).rejects.toBeInstanceOf(FrameDiscardedError);
    let error: unknown;
    gate.send(Buffer.from('late'), (e) => (error = e));
    expect(error).toBeInstanceOf(FrameDiscardedError);
    store.release();
    await tick();
    expect(w.written).toEqual([]);
  });

  it('closes when the socket reports a failed write', async () => {
    const w = wire(new Error('EPIPE'));
    const gate = new FrameGate(w.send, { flushState: async () => undefined });
    gate.send(Buffer.from('a'));
    const drained = gate.drained();
    await expect(drained).rejects.toThrow(/EPIPE/);
  });
});
