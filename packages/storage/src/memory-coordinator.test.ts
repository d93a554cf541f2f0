import { describe, expect, it } from 'vitest';
import { describeCoordinatorContract } from './coordinator.contract.js';
import { createCoordinator } from './create-coordinator.js';
import { MemoryCoordinator } from './memory-coordinator.js';

describeCoordinatorContract('MemoryCoordinator', () => new MemoryCoordinator({ sweepIntervalMs: 50 }));

describe('MemoryCoordinator', () => {
  it('reports a throwing subscriber to onError', async () => {
    const errors: unknown[] = [];
    const c = new MemoryCoordinator({ onError: (e) => errors.push(e) });
    await c.subscribe('x', () => {
      throw new Error('boom');
    });
    await c.publish('x', 'm');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toHaveLength(1);
    await c.close();
  });

  it('is what createCoordinator picks without a Redis URL', async () => {
    const c = createCoordinator({ redisUrl: '' });
    expect(c).toBeInstanceOf(MemoryCoordinator);
    await c.close();
  });

  it('refuses calls after close', async () => {
    const c = new MemoryCoordinator();
    await c.close();
    await expect(c.get('k')).rejects.toThrow(/closed/);
  });
});
