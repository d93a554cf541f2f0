import { describe, expect, it } from 'vitest';
import { OutboundPacer, PacerQueueFullError } from './outbound-pacer.js';

describe('OutboundPacer', () => {
  it('spaces task starts by at least the minimum interval, one at a time', async () => {
    const pacer = new OutboundPacer({ minIntervalMs: 40, jitterMs: 0, maxQueue: 10 });
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    await Promise.all(
      [1, 2, 3].map(() =>
        pacer.run(async () => {
          starts.push(Date.now());
          maxRunning = Math.max(maxRunning, ++running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(maxRunning).toBe(1);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(38);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(38);
  });

  it('refuses work beyond the queue bound and survives a failing task', async () => {
    const pacer = new OutboundPacer({ minIntervalMs: 0, jitterMs: 0, maxQueue: 2 });
    const a = pacer.run(async () => {
      throw new Error('boom');
    });
    const b = pacer.run(async () => 'b');
    await expect(pacer.run(async () => 'c')).rejects.toBeInstanceOf(PacerQueueFullError);
    await expect(a).rejects.toThrow('boom');
    await expect(b).resolves.toBe('b');
    await expect(pacer.run(async () => 'd')).resolves.toBe('d');
  });
});
