import { Curve, proto } from 'baileys';

export interface KeyPair {
  public: Uint8Array;
  private: Uint8Array;
}

/**
 * A fixed root key pair so tests (and a worker started before the simulator) can agree on the
 * trust anchor without exchanging anything. Never trust it outside a sandbox.
 */
export const TEST_ROOT_KEY_PAIR: Readonly<KeyPair> = Object.freeze({
  private: Buffer.from('e87a1c74b261dd93fedaac9badcb5263cc3094d77356f70d2db2846f1e0ec570', 'hex'),
  public: Buffer.from('b717f1fa8f413045eab9e102c41be5ba369318571062950fa2a6aaf1c7a6f571', 'hex'),
});

/** Serial Baileys expects as the intermediate's issuer (`WA_CERT_DETAILS.SERIAL`). */
const ROOT_SERIAL = 0;
const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;

export interface ServerPki {
  rootPublicKey: Uint8Array;
  /** The noise static key pair the server proves with the chain. */
  serverStatic: KeyPair;
  /** Encoded `CertChain`, sent (encrypted) in every ServerHello. */
  certChain: Uint8Array;
}

function signedCert(details: proto.CertChain.NoiseCertificate.IDetails, signer: KeyPair): proto.CertChain.INoiseCertificate {
  const encoded = proto.CertChain.NoiseCertificate.Details.encode(details).finish();
  return { details: encoded, signature: Curve.sign(signer.private, encoded) };
}

/** Builds root → intermediate → leaf; the leaf certifies a fresh server static key. */
export function createServerPki(root: KeyPair): ServerPki {
  const intermediate = Curve.generateKeyPair();
  const serverStatic = Curve.generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const notAfter = now + 10 * 365 * 24 * 3600;
  const chain = proto.CertChain.encode({
    intermediate: signedCert(
      { serial: INTERMEDIATE_SERIAL, issuerSerial: ROOT_SERIAL, key: intermediate.public, notBefore: now - 60, notAfter },
      root,
    ),
    leaf: signedCert(
      { serial: LEAF_SERIAL, issuerSerial: INTERMEDIATE_SERIAL, key: serverStatic.public, notBefore: now - 60, notAfter },
      intermediate,
    ),
  }).finish();
  return { rootPublicKey: root.public, serverStatic, certChain: chain };
}

export function resolveRootKeyPair(option: 'test' | KeyPair | undefined): KeyPair {
  if (option === 'test') return TEST_ROOT_KEY_PAIR;
  if (option !== undefined) return option;
  return Curve.generateKeyPair();
}
