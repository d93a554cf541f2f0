export { OutboundPacer, PacerQueueFullError } from './outbound-pacer.js';
export type { PacerSettings } from './outbound-pacer.js';
