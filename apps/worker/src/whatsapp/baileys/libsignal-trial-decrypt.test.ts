import { PhoneSignal, toE2ESession } from '@wagate/wa-sim';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { installTrialDecrypt } from './libsignal-trial-decrypt.js';

// libsignal prints closed sessions and failed tries to the console.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  // eslint-disable-next-line no-console -- silencing libsignal, not printing
  console[method] = () => undefined;
}

installTrialDecrypt();

/** One Signal party: the simulator's phone identity (Baileys' own repository over a memory store). */
function party(jid: string) {
  const signal = PhoneSignal.create(pino({ level: 'silent' }), () => []);
  return {
    jid,
    repository: signal.repository,
    /** A fresh one-time pre-key bundle, as the server hands out. */
    bundle: async () => toE2ESession(await signal.takeBundle()),
  };
}
type Party = ReturnType<typeof party>;

const encrypt = (from: Party, to: Party, text: string) => from.repository.encryptMessage({ jid: to.jid, data: Buffer.from(text) });
const decrypt = async (at: Party, from: Party, sealed: { type: 'pkmsg' | 'msg'; ciphertext: Uint8Array }) =>
  Buffer.from(await at.repository.decryptMessage({ jid: from.jid, type: sealed.type, ciphertext: sealed.ciphertext })).toString();

describe('libsignal session trial (installTrialDecrypt)', () => {
  it('a message the peer sent on an older session does not ruin the open one', async () => {
    const worker = party('111@s.whatsapp.net');
    const phone = party('222@s.whatsapp.net');
    // The worker starts a session, the phone answers on it: both hold session 1.
    await worker.repository.injectE2ESession({ jid: phone.jid, session: await phone.bundle() });
    expect(await decrypt(phone, worker, await encrypt(worker, phone, 'hello'))).toBe('hello');
    expect(await decrypt(worker, phone, await encrypt(phone, worker, 'hi'))).toBe('hi');

    // The worker opens session 2 (as Baileys does when it refreshes a contact's devices) and
    // writes on it; meanwhile the phone still sends on session 1.
    await worker.repository.injectE2ESession({ jid: phone.jid, session: await phone.bundle() });
    const first = await encrypt(worker, phone, 'on session 2');
    const late = await encrypt(phone, worker, 'still on session 1');
    expect(await decrypt(worker, phone, late)).toBe('still on session 1');
    // The worker writes on session 2 again: the phone must read both.
    const second = await encrypt(worker, phone, 'on session 2, after the late message');
    expect(await decrypt(phone, worker, first)).toBe('on session 2');
    expect(await decrypt(phone, worker, second)).toBe('on session 2, after the late message');
  });

  it('still refuses a message no session can read, and keeps every session as it was', async () => {
    const worker = party('111@s.whatsapp.net');
    const phone = party('222@s.whatsapp.net');
    await worker.repository.injectE2ESession({ jid: phone.jid, session: await phone.bundle() });
    expect(await decrypt(phone, worker, await encrypt(worker, phone, 'hello'))).toBe('hello');
    const reply = await encrypt(phone, worker, 'reply');
    const broken = { type: reply.type, ciphertext: Buffer.from(Uint8Array.from(reply.ciphertext, (b, i) => (i === reply.ciphertext.length - 1 ? b ^ 0xff : b))) };
    await expect(decrypt(worker, phone, broken)).rejects.toThrow(/^No matching sessions found for message \(.+\)$/);
    // The failed try left the session usable both ways.
    expect(await decrypt(worker, phone, reply)).toBe('reply');
    expect(await decrypt(phone, worker, await encrypt(worker, phone, 'and on'))).toBe('and on');
  });
});
