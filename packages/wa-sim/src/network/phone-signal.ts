import { addTransactionCapability, Curve, DEFAULT_CONNECTION_CONFIG, generateSignalPubKey, initAuthCreds } from 'baileys';
import type { AuthenticationCreds, SignalRepositoryWithLIDStore } from 'baileys';
import type { Logger } from 'pino';
import { MemoryKeyStore } from './memory-key-store.js';
import type { PreKeyBundle } from './phone-network.js';

/** A bundle as a sender's `injectE2ESession` takes it: public keys with their type byte. */
export function toE2ESession(bundle: PreKeyBundle): Parameters<SignalRepositoryWithLIDStore['injectE2ESession']>[0]['session'] {
  return {
    registrationId: bundle.registrationId,
    identityKey: generateSignalPubKey(bundle.identityKey),
    signedPreKey: { ...bundle.signedPreKey, publicKey: generateSignalPubKey(bundle.signedPreKey.publicKey) },
    ...(bundle.preKey ? { preKey: { ...bundle.preKey, publicKey: generateSignalPubKey(bundle.preKey.publicKey) } } : {}),
  };
}

/**
 * The Signal identity of a virtual phone: Baileys' own repository over an in-memory store, so the
 * phone encrypts and decrypts exactly as a real WhatsApp client would.
 */
export class PhoneSignal {
  readonly repository: SignalRepositoryWithLIDStore;
  #nextPreKeyId: number;

  constructor(
    readonly creds: AuthenticationCreds,
    readonly store: MemoryKeyStore,
    logger: Logger,
    lidForPn: (pns: string[]) => { pn: string; lid: string }[],
    nextPreKeyId = 1,
  ) {
    const keys = addTransactionCapability(store, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });
    this.repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository({ creds, keys }, logger, (jids) => Promise.resolve(lidForPn(jids)));
    this.#nextPreKeyId = nextPreKeyId;
  }

  static create(logger: Logger, lidForPn: (pns: string[]) => { pn: string; lid: string }[]): PhoneSignal {
    return new PhoneSignal(initAuthCreds(), new MemoryKeyStore(), logger, lidForPn);
  }

  get nextPreKeyId(): number {
    return this.#nextPreKeyId;
  }

  get identityKey(): { public: Uint8Array; private: Uint8Array } {
    return this.creds.signedIdentityKey;
  }

  /** A fresh one-time pre-key for someone starting a session with this phone. */
  async takeBundle(): Promise<PreKeyBundle> {
    const id = this.#nextPreKeyId++;
    const pair = Curve.generateKeyPair();
    await this.store.set({ 'pre-key': { [String(id)]: pair } });
    return {
      registrationId: this.creds.registrationId,
      identityKey: this.creds.signedIdentityKey.public,
      signedPreKey: {
        keyId: this.creds.signedPreKey.keyId,
        publicKey: this.creds.signedPreKey.keyPair.public,
        signature: this.creds.signedPreKey.signature,
      },
      preKey: { keyId: id, publicKey: pair.public },
    };
  }
}
