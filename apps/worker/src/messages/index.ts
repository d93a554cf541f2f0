export { OutboundPacer, PacerQueueFullError } from './outbound-pacer.js';
export type { PacerSettings } from './outbound-pacer.js';
export { bareJid, toContractStatus, toMessageView } from './message-view.js';
export { UnsupportedSendError, toOutgoing } from './send-request.js';
export { messageEventId, stanzaIdFor } from './message-ids.js';
