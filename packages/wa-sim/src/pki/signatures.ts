// The curve module of Baileys' own libsignal dependency, the one Baileys signs with.
import * as curve from 'libsignal/src/curve.js';

const verify = (curve as { verifySignature: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => boolean }).verifySignature;

/**
 * XEdDSA signature check that actually uses the verdict. Baileys rc14's `Curve.verify` wraps the
 * same call in try/catch and returns true whenever it does not throw, i.e. for any well-formed
 * signature, so the simulator must not rely on it.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const pub = publicKey.length === 33 ? publicKey : Buffer.concat([Buffer.from([5]), publicKey]);
    return verify(pub, message, signature) === true;
  } catch {
    return false;
  }
}
