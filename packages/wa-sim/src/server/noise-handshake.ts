import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { Curve, NOISE_MODE, NOISE_WA_HEADER, proto } from 'baileys';
import type { KeyPair } from '../pki/test-pki.js';

const TAG_LENGTH = 16;

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function iv(counter: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(counter >>> 0, 8);
  return out;
}

function gcmEncrypt(plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function gcmDecrypt(ciphertext: Uint8Array, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
  return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH)), d.final()]);
}

function hkdf64(ikm: Uint8Array, salt: Uint8Array): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.alloc(0), 64));
  return [out.subarray(0, 32), out.subarray(32)];
}

/** Transport-phase cipher: one key and counter per direction, empty AAD. */
export class NoiseTransport {
  #readCounter = 0;
  #writeCounter = 0;
  constructor(
    private readonly encKey: Buffer,
    private readonly decKey: Buffer,
  ) {}
  encrypt(plaintext: Uint8Array): Buffer {
    return gcmEncrypt(plaintext, this.encKey, iv(this.#writeCounter++), Buffer.alloc(0));
  }
  decrypt(ciphertext: Uint8Array): Buffer {
    return gcmDecrypt(ciphertext, this.decKey, iv(this.#readCounter++), Buffer.alloc(0));
  }
}

export interface ClientFinishResult {
  clientStatic: Buffer;
  payload: proto.ClientPayload;
  transport: NoiseTransport;
}

/**
 * The responder half of WhatsApp's Noise XX, a mirror of Baileys' `noise-handler`: the same single
 * handshake counter and shared key, so every step lines up with what the client computes.
 */
export class NoiseResponder {
  #hash: Buffer;
  #salt: Buffer;
  #key: Buffer;
  #counter = 0;
  #ephemeral: KeyPair | undefined;

  constructor(
    private readonly serverStatic: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    const mode = Buffer.from(NOISE_MODE);
    this.#hash = mode.byteLength === 32 ? mode : sha256(mode);
    this.#salt = this.#hash;
    this.#key = this.#hash;
    this.#authenticate(NOISE_WA_HEADER);
  }

  #authenticate(data: Uint8Array): void {
    this.#hash = sha256(this.#hash, data);
  }

  #mixIntoKey(data: Uint8Array): void {
    const [write, read] = hkdf64(data, this.#salt);
    this.#salt = write;
    this.#key = read;
    this.#counter = 0;
  }

  #encrypt(plaintext: Uint8Array): Buffer {
    const out = gcmEncrypt(plaintext, this.#key, iv(this.#counter++), this.#hash);
    this.#authenticate(out);
    return out;
  }

  #decrypt(ciphertext: Uint8Array): Buffer {
    const out = gcmDecrypt(ciphertext, this.#key, iv(this.#counter++), this.#hash);
    this.#authenticate(ciphertext);
    return out;
  }

  /** Consumes ClientHello, returns the encoded ServerHello frame payload. */
  serverHello(clientEphemeral: Uint8Array): Uint8Array {
    this.#authenticate(clientEphemeral);
    const eph = Curve.generateKeyPair();
    this.#ephemeral = eph;
    this.#authenticate(eph.public);
    this.#mixIntoKey(Curve.sharedKey(eph.private, clientEphemeral));
    const staticEnc = this.#encrypt(this.serverStatic.public);
    this.#mixIntoKey(Curve.sharedKey(this.serverStatic.private, clientEphemeral));
    const payloadEnc = this.#encrypt(this.certChain);
    return proto.HandshakeMessage.encode({ serverHello: { ephemeral: eph.public, static: staticEnc, payload: payloadEnc } }).finish();
  }

  /** Consumes ClientFinish: the client's static key, its ClientPayload, and the transport keys. */
  clientFinish(finish: proto.HandshakeMessage.IClientFinish): ClientFinishResult {
    if (this.#ephemeral === undefined) throw new Error('ClientFinish before ClientHello');
    if (!finish.static || !finish.payload) throw new Error('ClientFinish without static or payload');
    const clientStatic = this.#decrypt(finish.static);
    this.#mixIntoKey(Curve.sharedKey(this.#ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.#decrypt(finish.payload));
    // The client's write key is the first half; ours is the second.
    const [clientWrite, serverWrite] = hkdf64(Buffer.alloc(0), this.#salt);
    return { clientStatic, payload, transport: new NoiseTransport(serverWrite, clientWrite) };
  }
}
