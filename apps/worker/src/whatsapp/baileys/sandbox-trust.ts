import { Agent as HttpsAgent } from 'node:https';
import { WA_CERT_DETAILS } from 'baileys';
import { Agent as UndiciAgent } from 'undici';

/** Baileys' own WhatsApp root, captured at import before anything can change it. */
const ORIGINAL_ROOT = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);

export interface SimulatorTrust {
  rootPublicKey: Uint8Array;
  /** PEM of the simulator's media host certificate. */
  mediaCa: string;
}

export interface MediaTrust {
  /**
   * For `makeWASocket({ fetchAgent })`: rc14 uploads media with `node:https` and this agent
   * (`uploadWithNodeHttp`), so the extra CA applies to uploads only, not to the process.
   */
  fetchAgent: HttpsAgent;
  /**
   * For downloads: rc14 downloads with global `fetch`, which takes an undici dispatcher through
   * `downloadMediaMessage(msg, type, { options: { dispatcher } }, ctx)` /
   * `downloadContentFromMessage(msg, type, { options: { dispatcher } })`, and the socket config
   * `options: { dispatcher }` (profile pictures). Nothing global is touched.
   */
  dispatcher: UndiciAgent;
  /**
   * `{ dispatcher }` typed as the `RequestInit` Baileys asks for (`MediaDownloadOptions.options`,
   * socket config `options`). Node's bundled undici-types and the undici package describe the
   * same runtime interface with distinct declarations, hence the one cast here.
   */
  fetchOptions: RequestInit;
}

/**
 * Sandbox mode: trust the simulator. Sets `WA_CERT_DETAILS.PUBLIC_KEY` (process-wide: Baileys
 * reads it at every noise handshake, so a process is either sandbox or real, never both) and
 * returns the agents that trust the media host's certificate.
 */
export function useSimulatorTrust(trust: SimulatorTrust): MediaTrust {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(trust.rootPublicKey);
  const dispatcher = new UndiciAgent({ connect: { ca: trust.mediaCa } });
  return {
    fetchAgent: new HttpsAgent({ ca: trust.mediaCa, keepAlive: true }),
    dispatcher,
    fetchOptions: { dispatcher } as unknown as RequestInit,
  };
}

/** A real-network worker refuses to start if anything replaced WhatsApp's certificate root. */
export function assertRealNetworkTrust(): void {
  if (!Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(ORIGINAL_ROOT) || !ORIGINAL_ROOT.equals(Buffer.from('142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b', 'hex'))) {
    throw new Error('WA_CERT_DETAILS.PUBLIC_KEY is not WhatsApp’s root: this process was set up for the simulator and must not connect to the real network');
  }
}

/** Undo for tests that switch trust back and forth within one process. */
export function restoreRealNetworkTrust(): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(ORIGINAL_ROOT);
}
