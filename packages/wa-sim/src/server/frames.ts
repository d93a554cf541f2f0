import { NOISE_WA_HEADER } from 'baileys';

/** Thrown when the client's bytes do not follow the WA framing; the connection is dropped. */
export class FramingError extends Error {}

/**
 * Splits the client byte stream into frames. The stream starts with the intro (`WA\x06\x03`,
 * optionally preceded by an `ED` routing header), then 3-byte big-endian length-prefixed frames.
 * WebSocket messages may carry several frames or a partial one, so bytes are buffered.
 */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);
  #introDone = false;
  routingInfo: Buffer | undefined;

  push(chunk: Buffer): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Buffer[] = [];
    if (!this.#introDone && !this.#readIntro()) return frames;
    while (this.#buffer.length >= 3) {
      const size = (this.#buffer[0]! << 16) | (this.#buffer[1]! << 8) | this.#buffer[2]!;
      if (this.#buffer.length < size + 3) break;
      frames.push(this.#buffer.subarray(3, size + 3));
      this.#buffer = this.#buffer.subarray(size + 3);
    }
    return frames;
  }

  #readIntro(): boolean {
    let offset = 0;
    if (this.#buffer.length >= 2 && this.#buffer[0] === 0x45 && this.#buffer[1] === 0x44) {
      // 'E' 'D', two version bytes, a 3-byte length, then the routing info itself.
      if (this.#buffer.length < 7) return false;
      const len = (this.#buffer[4]! << 16) | this.#buffer.readUInt16BE(5);
      if (this.#buffer.length < 7 + len) return false;
      this.routingInfo = Buffer.from(this.#buffer.subarray(7, 7 + len));
      offset = 7 + len;
    }
    if (this.#buffer.length < offset + NOISE_WA_HEADER.length) return false;
    const header = this.#buffer.subarray(offset, offset + NOISE_WA_HEADER.length);
    if (!header.equals(NOISE_WA_HEADER)) throw new FramingError('bad WA intro header');
    this.#buffer = this.#buffer.subarray(offset + NOISE_WA_HEADER.length);
    this.#introDone = true;
    return true;
  }
}

/** Prefixes a payload with its 3-byte big-endian length. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(3 + payload.byteLength);
  frame[0] = (payload.byteLength >>> 16) & 0xff;
  frame[1] = (payload.byteLength >>> 8) & 0xff;
  frame[2] = payload.byteLength & 0xff;
  frame.set(payload, 3);
  return frame;
}
