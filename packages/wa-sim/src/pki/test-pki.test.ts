import { Curve, WA_CERT_DETAILS } from 'baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { useSimulatorTrust } from '../../../../apps/worker/src/whatsapp/baileys/sandbox-trust.js';
import { createSimulator } from '../simulator.js';
import type { Simulator } from '../simulator.js';
import { companionFactory } from '../test-support/companion.js';
import type { SimTestContext } from '../test-support/companion.js';
import { verifySignature } from './signatures.js';
import { TEST_ROOT_KEY_PAIR } from './test-pki.js';

let sim: Simulator | undefined;
let ctx: SimTestContext | undefined;

afterEach(async () => {
  ctx?.closeAll();
  await sim?.close();
});

describe('test PKI', () => {
  it('uses the fixed test root when asked and a fresh root otherwise', async () => {
    sim = await createSimulator({ rootKeyPair: 'test' });
    expect(Buffer.from(sim.rootPublicKey)).toEqual(Buffer.from(TEST_ROOT_KEY_PAIR.public));
    const other = await createSimulator();
    expect(Buffer.from(other.rootPublicKey)).not.toEqual(Buffer.from(TEST_ROOT_KEY_PAIR.public));
    await other.close();
  });

  it('signs the chain so that it verifies against the root, and only against it', async () => {
    const { createServerPki } = await import('./test-pki.js');
    const { proto } = await import('baileys');
    const pki = createServerPki(TEST_ROOT_KEY_PAIR);
    const chain = proto.CertChain.decode(pki.certChain);
    const inter = proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate!.details!);
    expect(inter.issuerSerial).toBe(0);
    expect(verifySignature(TEST_ROOT_KEY_PAIR.public, chain.intermediate!.details!, chain.intermediate!.signature!)).toBe(true);
    expect(verifySignature(Curve.generateKeyPair().public, chain.intermediate!.details!, chain.intermediate!.signature!)).toBe(false);
    expect(verifySignature(inter.key!, chain.leaf!.details!, chain.leaf!.signature!)).toBe(true);
  });

  // Canary: rc14's Curve.verify ignores the verdict, so the noise certificate chain is not
  // really checked and any root "works". When a Baileys upgrade fixes that, this test fails and
  // the sandbox seam (WA_CERT_DETAILS.PUBLIC_KEY) becomes load-bearing: keep using it.
  it('documents that Baileys rc14 does not enforce the certificate root', async () => {
    sim = await createSimulator({ rootKeyPair: 'test' });
    ctx = companionFactory(sim);
    useSimulatorTrust({ rootPublicKey: Curve.generateKeyPair().public, mediaCa: sim.mediaCa });
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).not.toEqual(Buffer.from(TEST_ROOT_KEY_PAIR.public));
    const c = ctx.connect();
    expect(await c.waitForQr()).toMatch(/^https:\/\/wa\.me/);
    expect(Curve.verify(Curve.generateKeyPair().public, Buffer.from('x'), Buffer.alloc(64, 1))).toBe(true);
  });
});
