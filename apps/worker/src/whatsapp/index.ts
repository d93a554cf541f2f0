export * from './whatsapp-client.js';
export { BaileysConnector, InvalidRecipientError, assertRealNetworkTrust, toJid, useSimulatorTrust } from './baileys/index.js';
export type { BaileysConnectorOptions, MediaTrust, SimulatorTrust } from './baileys/index.js';
