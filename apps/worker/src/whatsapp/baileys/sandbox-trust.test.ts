import { WA_CERT_DETAILS } from 'baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { assertRealNetworkTrust, restoreRealNetworkTrust, useSimulatorTrust } from './sandbox-trust.js';

const PEM = `-----BEGIN CERTIFICATE-----
MIIBqzCCAVGgAwIBAgIUAxtNVI3nsDdbDbzwvv1jmGyr0eswCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----`;

afterEach(() => restoreRealNetworkTrust());

describe('sandbox trust seam', () => {
  it('accepts WhatsApp’s own root on a real-network worker', () => {
    expect(() => assertRealNetworkTrust()).not.toThrow();
  });

  it('points Baileys at the simulator root and makes a real-network worker refuse to start', () => {
    const root = new Uint8Array(32).fill(7);
    const trust = useSimulatorTrust({ rootPublicKey: root, mediaCa: PEM });
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).toEqual(Buffer.from(root));
    expect(trust.fetchAgent.options.ca).toBe(PEM);
    expect(trust.fetchOptions).toHaveProperty('dispatcher', trust.dispatcher);
    expect(() => assertRealNetworkTrust()).toThrow(/simulator/);
  });
});
