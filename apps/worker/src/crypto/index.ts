export { DecryptionError, Keyring } from './envelope.js';
export type { Envelope, KeyringKey } from './envelope.js';
