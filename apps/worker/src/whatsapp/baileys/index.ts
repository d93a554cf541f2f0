export { BaileysConnector } from './baileys-client.js';
export type { BaileysConnectorOptions } from './baileys-client.js';
export { InvalidRecipientError, toJid } from './send-message.js';
export { assertRealNetworkTrust, useSimulatorTrust } from './sandbox-trust.js';
export type { MediaTrust, SimulatorTrust } from './sandbox-trust.js';
export { installTrialDecrypt } from './libsignal-trial-decrypt.js';
