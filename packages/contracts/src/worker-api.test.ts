import { describe, expect, it } from 'vitest';
import {
  groupParticipantsCommand,
  startSessionCommand,
  workerHeartbeatBody,
  workerHistoryQuery,
  workerRegisterBody,
  workerSendCommand,
} from './worker-api.js';

describe('worker API', () => {
  it('registers with an endpoint, capacity and version', () => {
    expect(workerRegisterBody.safeParse({ endpoint: 'http://worker-1:4000', maxSessions: 100, version: '0.1.0' }).success).toBe(true);
    expect(workerRegisterBody.safeParse({ endpoint: 'http://worker-1:4000', maxSessions: 100 }).success).toBe(false);
  });

  it('reports load and held sessions with their epochs', () => {
    const beat = {
      sessionCount: 1,
      maxSessions: 100,
      cpuUsage: 12.5,
      memoryUsage: 40,
      sessions: [{ sessionId: 'ses_1', epoch: 2, status: 'CONNECTED' }],
    };
    expect(workerHeartbeatBody.safeParse(beat).success).toBe(true);
    expect(workerHeartbeatBody.safeParse({ ...beat, cpuUsage: 130 }).success).toBe(false);
    expect(workerHeartbeatBody.safeParse({ ...beat, sessions: [{ sessionId: 'ses_1', status: 'CONNECTED' }] }).success).toBe(false);
  });

  it('needs phoneNumber to start by pairing code', () => {
    expect(startSessionCommand.safeParse({ sessionId: 'ses_1', epoch: 1, method: 'pairing_code' }).success).toBe(false);
    expect(startSessionCommand.safeParse({ sessionId: 'ses_1', epoch: 1 }).success).toBe(true);
  });

  it('carries a validated send body, defaulting text', () => {
    const command = workerSendCommand.parse({ sessionId: 'ses_1', epoch: 1, messageId: 'msg_1', message: { to: '+6281234567890', text: 'hi' } });
    expect(command.message.type).toBe('text');
    expect(workerSendCommand.safeParse({ sessionId: 'ses_1', epoch: 1, message: { to: 'nobody', text: 'hi' } }).success).toBe(false);
  });

  it('coerces the epoch of read queries', () => {
    expect(workerHistoryQuery.parse({ sessionId: 'ses_1', epoch: '4' })).toEqual({ sessionId: 'ses_1', epoch: 4, limit: 20 });
  });

  it('only manages group JIDs', () => {
    const command = { sessionId: 'ses_1', epoch: 1, action: 'add', participants: ['+6281234567890'] };
    expect(groupParticipantsCommand.safeParse({ ...command, groupId: '120363041234567890@g.us' }).success).toBe(true);
    expect(groupParticipantsCommand.safeParse({ ...command, groupId: '6281234567890@s.whatsapp.net' }).success).toBe(false);
  });
});
