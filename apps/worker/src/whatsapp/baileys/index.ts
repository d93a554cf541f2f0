export { BaileysConnector } from './baileys-client.js';
export type { BaileysConnectorOptions } from './baileys-client.js';
export { InvalidRecipientError, toJid } from './send-message.js';
