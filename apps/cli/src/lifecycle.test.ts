import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeOnSignals, type Closable } from './lifecycle.js';

const out = { info: vi.fn(), error: vi.fn() };

function exits(): Promise<number | undefined> {
  return new Promise((resolve) => {
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      resolve(code);
      return undefined as never;
    }) as typeof process.exit);
  });
}

describe('closeOnSignals', () => {
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    vi.restoreAllMocks();
  });

  it('closes in reverse start order on SIGTERM and exits 0', async () => {
    const order: string[] = [];
    const closable = (name: string): Closable => ({ name, close: async () => void order.push(name) });
    const exited = exits();
    closeOnSignals(out).manage([closable('sim'), closable('gateway'), closable('worker')]);
    process.emit('SIGTERM');
    expect(await exited).toBe(0);
    expect(order).toEqual(['worker', 'gateway', 'sim']);
  });

  it('holds a signal that arrives while the role is starting, then closes what it started', async () => {
    const closed: string[] = [];
    const exited = exits();
    const signals = closeOnSignals(out);
    process.emit('SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toEqual([]);
    expect(out.info).toHaveBeenCalledWith(expect.stringContaining('while starting'));
    signals.manage([{ name: 'gateway', close: async () => void closed.push('gateway') }]);
    expect(await exited).toBe(0);
    expect(closed).toEqual(['gateway']);
  });

  it('exits 1 when a close fails, after closing the rest', async () => {
    const closed: string[] = [];
    const exited = exits();
    closeOnSignals(out).manage([
      { name: 'a', close: async () => void closed.push('a') },
      { name: 'b', close: async () => Promise.reject(new Error('stuck')) },
    ]);
    process.emit('SIGINT');
    expect(await exited).toBe(1);
    expect(closed).toEqual(['a']);
    expect(out.error).toHaveBeenCalledWith('closing b failed: stuck');
  });
});
