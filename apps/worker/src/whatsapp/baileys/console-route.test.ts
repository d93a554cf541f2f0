/* eslint-disable no-console -- the test drives console the way libsignal does, to check where it ends up. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { routeConsoleToLogger } from './console-route.js';

describe('routeConsoleToLogger', () => {
  it('sends console output to pino without the objects (which may hold keys), and undoes', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const original = console.info;
    const undo = routeConsoleToLogger(pino({ level: 'debug' }, sink));
    try {
      // What libsignal does when it closes a session: a label and the whole SessionEntry.
      console.info('Closing session:', { privKey: 'SECRET-KEY-MATERIAL' });
      console.warn('Session already closed');
    } finally {
      undo();
    }
    expect(console.info).toBe(original);
    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; component: string });
    expect(records).toEqual([
      expect.objectContaining({ level: 20, msg: 'Closing session:', component: 'console' }),
      expect.objectContaining({ level: 40, msg: 'Session already closed' }),
    ]);
    expect(lines.join('')).not.toContain('SECRET-KEY-MATERIAL');
  });
});
