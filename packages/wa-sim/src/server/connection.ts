import { decodeBinaryNode, encodeBinaryNode, proto } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ConnectionRecord, DeviceAddress } from '../network/device-registry.js';
import type { ServerPki } from '../pki/test-pki.js';
import { encodeFrame, FrameReader } from './frames.js';
import { NoiseResponder } from './noise-handshake.js';
import type { NoiseTransport } from './noise-handshake.js';

export interface ConnectionHandler {
  onClientPayload(conn: Connection, payload: proto.ClientPayload): Promise<void>;
  onStanza(conn: Connection, node: BinaryNode): Promise<void>;
  onClose(conn: Connection): void;
}

export interface PairingState {
  refs: string[];
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  platform: string;
  /** Set by the pairing-code flow once the companion sent `companion_hello`. */
  pairingCode?: { phone: string; wrappedEphemeral: Uint8Array; platformDisplay: string; ref: Uint8Array; primaryEphemeral?: Uint8Array };
  /** Set once a phone sent pair-success; resolved when the client signs. */
  pending?: { phone: string; deviceId: number; keyIndex: number; pairIqId: string; accountSignatureKey: Uint8Array; details: Uint8Array };
}

/** One client WebSocket: framing, Noise, then binary stanzas in both directions. */
export class Connection {
  readonly #reader = new FrameReader();
  readonly #noise: NoiseResponder;
  #transport: NoiseTransport | undefined;
  #state: 'hello' | 'finish' | 'open' | 'closed' = 'hello';
  #queue: Promise<void> = Promise.resolve();
  clientStatic: Uint8Array | undefined;
  /** The logged-in companion, once `<success>` was sent. */
  device: DeviceAddress | undefined;
  pairing: PairingState | undefined;
  /** Messages sent but not yet receipted: back to the offline queue if the socket dies. */
  readonly inflight = new Map<string, BinaryNode>();
  /** Fault: ignore everything the client sends and send nothing (keep-alive then trips). */
  silenced = false;
  readonly log: Logger;

  constructor(
    readonly ws: WebSocket,
    readonly record: ConnectionRecord,
    pki: ServerPki,
    private readonly handler: ConnectionHandler,
    logger: Logger,
  ) {
    this.#noise = new NoiseResponder(pki.serverStatic, pki.certChain);
    this.log = logger.child({ connectionId: record.connectionId });
    ws.on('message', (data: Buffer) => this.#onData(data));
    ws.on('close', () => this.#onClosed('socket closed'));
    ws.on('error', (err) => this.log.debug({ err }, 'Socket error'));
  }

  get id(): number {
    return this.record.connectionId;
  }

  get isOpen(): boolean {
    return this.#state !== 'closed';
  }

  get routingInfo(): Buffer | undefined {
    return this.#reader.routingInfo;
  }

  #onData(data: Buffer): void {
    if (this.silenced || this.#state === 'closed') return;
    let frames: Buffer[];
    try {
      frames = this.#reader.push(Buffer.from(data));
    } catch (err) {
      this.log.debug({ err }, 'Bad framing, dropping connection');
      this.close('bad framing');
      return;
    }
    for (const frame of frames) {
      // Frames are processed strictly in order: decoding is async and stanzas depend on each other.
      this.#queue = this.#queue.then(() => this.#onFrame(frame)).catch((err: unknown) => {
        // A broken handshake cannot recover; a bad stanza later on is only logged.
        const handshake = this.#state === 'hello' || this.#state === 'finish';
        this.log.warn({ err, handshake }, 'Failed to process a frame');
        if (handshake) this.close('handshake failed');
      });
    }
  }

  async #onFrame(frame: Buffer): Promise<void> {
    if (this.#state === 'closed' || this.silenced) return;
    if (this.#state === 'hello') {
      const msg = proto.HandshakeMessage.decode(frame);
      if (!msg.clientHello?.ephemeral) throw new Error('expected ClientHello');
      this.#sendRaw(this.#noise.serverHello(msg.clientHello.ephemeral));
      this.#state = 'finish';
      return;
    }
    if (this.#state === 'finish') {
      const msg = proto.HandshakeMessage.decode(frame);
      if (!msg.clientFinish) throw new Error('expected ClientFinish');
      const result = this.#noise.clientFinish(msg.clientFinish);
      this.#transport = result.transport;
      this.clientStatic = result.clientStatic;
      this.#state = 'open';
      await this.handler.onClientPayload(this, result.payload);
      return;
    }
    const node = await decodeBinaryNode(this.#transport!.decrypt(frame));
    await this.handler.onStanza(this, node);
  }

  #sendRaw(payload: Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(payload));
  }

  /** Sends one stanza; silently dropped once the socket is gone or silenced. */
  send(node: BinaryNode): void {
    if (this.#state !== 'open' || this.silenced || this.#transport === undefined) return;
    this.#sendRaw(this.#transport.encrypt(encodeBinaryNode(node)));
  }

  /** Sends `<stream:error>` and closes, as the server does before ending a session. */
  streamError(code: number | undefined, child?: BinaryNode): void {
    const attrs: Record<string, string> = code === undefined ? {} : { code: String(code) };
    this.send({ tag: 'stream:error', attrs, content: child === undefined ? undefined : [child] });
    this.close(`stream error ${code ?? child?.tag ?? ''}`.trim());
  }

  /** Closes the socket (after pending writes flush). */
  close(reason: string): void {
    if (this.#state === 'closed') return;
    this.#onClosed(reason);
    // Give the last frame a moment to reach the client before the socket ends.
    setTimeout(() => this.ws.close(), 20).unref();
  }

  /** Drops the TCP connection without any goodbye (network failure). */
  terminate(reason: string): void {
    this.#onClosed(reason);
    this.ws.terminate();
  }

  #onClosed(reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.record.closedAt = Date.now();
    this.record.closeReason = reason;
    this.handler.onClose(this);
  }
}
