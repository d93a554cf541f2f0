// What the messages module needs from its neighbours. The app.ts blocks pass the identity,
// sessions and workers objects, which satisfy these narrower shapes structurally; tests pass fakes.
import type { ContactsCheckResponse, List, Message, MessageListQuery, SendMessageBody, Session, SessionStatus } from '@wagate/contracts';

/** The API key that made the call (identity's ApiKeyPrincipal). */
export interface ApiKeyCaller {
  kind: 'apiKey';
  userId: string;
  tier: 'BASIC' | 'PRO' | 'MAX';
  sessionId: string;
  keyId: string;
}

export interface MessageLimits {
  /** The tier's messages/hour; throws RateLimitedError (with headers) when spent. */
  consumeMessage(principal: ApiKeyCaller): Promise<void>;
}

export interface UsageRecorder {
  /** Buffered and cheap; never throws into the request. */
  record(input: { userId: string; sessionId?: string; apiKeyId?: string; metric: string; count?: number }): void;
}

/** The columns of a session row this module reads (sessions module's SessionRow has them all). */
export interface SessionRecord {
  id: string;
  userId: string;
  status: SessionStatus;
}

export interface SessionReader<Row extends SessionRecord = SessionRecord> {
  findById(id: string): Promise<Row | null>;
  findOwned(id: string, userId: string): Promise<Row | null>;
}

/** Where a session lives now (workers module's SessionRoute). */
export interface MessageRoute {
  sessionId: string;
  workerId: string;
  endpoint: string;
  epoch: number;
}

export interface RouteLookup {
  /** Null when the session is not placed or its worker is not reachable. */
  current(sessionId: string): Promise<MessageRoute | null>;
}

/** The message calls of the workers module's WorkerClient; worker problems arrive as AppErrors. */
export interface MessagingWorker {
  send(route: MessageRoute, message: SendMessageBody, messageId?: string): Promise<Message>;
  message(route: MessageRoute, messageId: string): Promise<Message>;
  history(route: MessageRoute, query: MessageListQuery): Promise<List<Message>>;
  media(route: MessageRoute, messageId: string): Promise<{ contentType: string; body: Buffer }>;
  contactsCheck(route: MessageRoute, phones: string[]): Promise<ContactsCheckResponse>;
}

export type SessionViewFn<Row> = (row: Row, options: { admin: boolean }) => Session;
