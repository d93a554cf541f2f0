export * from './whatsapp-client.js';
export { BaileysConnector, InvalidRecipientError, toJid } from './baileys/index.js';
export type { BaileysConnectorOptions } from './baileys/index.js';
