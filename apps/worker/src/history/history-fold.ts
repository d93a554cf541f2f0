import type { MessageStatus, WhatsAppMessage } from '../whatsapp/index.js';

/** One line of the append-only history: a message, or a later status change of one. */
export type HistoryRecord =
  | { kind: 'message'; message: WhatsAppMessage }
  | { kind: 'status'; id: string; chatId: string; status: MessageStatus; timestamp: number };

const RANK: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, played: 4, failed: -1 };

/** Status only moves forward; `failed` wins only over a message nobody received yet. */
export function advanceStatus(current: MessageStatus | undefined, next: MessageStatus): MessageStatus {
  if (current === undefined) return next;
  if (next === 'failed') return RANK[current] < RANK.delivered ? 'failed' : current;
  if (current === 'failed') return current;
  return RANK[next] > RANK[current] ? next : current;
}

/** Folds records (in append order) into messages by id; a status seen before its message is kept for it. */
export function foldRecords(records: Iterable<HistoryRecord>, into = new Map<string, WhatsAppMessage>()): Map<string, WhatsAppMessage> {
  const early = new Map<string, MessageStatus>();
  for (const record of records) {
    if (record.kind === 'message') {
      const previous = into.get(record.message.id);
      let status = record.message.status;
      if (previous?.status !== undefined) status = status === undefined ? previous.status : advanceStatus(previous.status, status);
      const waiting = early.get(record.message.id);
      if (waiting !== undefined) {
        status = status === undefined ? waiting : advanceStatus(status, waiting);
        early.delete(record.message.id);
      }
      into.set(record.message.id, { ...previous, ...record.message, status });
    } else {
      const message = into.get(record.id);
      if (message === undefined) early.set(record.id, advanceStatus(early.get(record.id), record.status));
      else into.set(record.id, { ...message, status: advanceStatus(message.status, record.status) });
    }
  }
  return into;
}
