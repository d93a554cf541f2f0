import { NOISE_WA_HEADER } from 'baileys';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, FramingError } from './frames.js';

describe('frame reader', () => {
  it('reads the intro, then frames split across and merged within chunks', () => {
    const reader = new FrameReader();
    const stream = Buffer.concat([NOISE_WA_HEADER, encodeFrame(Buffer.from('one')), encodeFrame(Buffer.from('two'))]);
    const out = [...reader.push(stream.subarray(0, 5)), ...reader.push(stream.subarray(5, 9)), ...reader.push(stream.subarray(9))];
    expect(out.map((f) => f.toString())).toEqual(['one', 'two']);
  });

  it('accepts an ED routing header before the intro and keeps the routing info', () => {
    const routing = Buffer.from('edge-7');
    const ed = Buffer.concat([Buffer.from([0x45, 0x44, 0, 1, 0, 0, routing.length]), routing]);
    const reader = new FrameReader();
    expect(reader.push(Buffer.concat([ed, NOISE_WA_HEADER, encodeFrame(Buffer.from('x'))])).map(String)).toEqual(['x']);
    expect(reader.routingInfo?.toString()).toBe('edge-7');
  });

  it('rejects a stream that does not start with the WA header', () => {
    expect(() => new FrameReader().push(Buffer.from('GET / HTTP/1.1'))).toThrow(FramingError);
  });
});

