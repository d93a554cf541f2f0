import { createRequire } from 'node:module';

/**
 * libsignal-node (6.0.0, what Baileys 7 uses) decrypts a whisper message by trying each session of
 * the record in turn, open one first, **on the stored session objects themselves**: a try steps
 * the session's ratchet (new sending ephemeral, new root key, new chains) before the MAC check,
 * and when an older session then decrypts the message the whole record is stored, the failed
 * tries' mutations included. The open session is then ruined: everything encrypted on it next
 * fails at the peer with "Bad MAC", and so does every resend, until the peer starts a new
 * session. Signal's reference implementations try a copy of each session state and keep only the
 * one that decrypted.
 *
 * When it bites: whenever our open session with a contact is newer than the one the contact still
 * sends on. Baileys makes that happen on its own: a device list fetched again (cache miss, e.g.
 * the first send after a restore on another worker, and every 5 minutes) force-refreshes the
 * sessions of LID-mapped contacts, so the worker opens a new session while the phone's messages in
 * flight still use the old one. Measured before the fix: a session moved under traffic (20
 * messages each way at once) lost sends to the customer for good (10–17 failed decrypts at the
 * phone, retries with fresh keys failing too, since the next incoming message ruined the new
 * session again); the chaos test lost 25–33 of 2,000 sends this way.
 *
 * `installTrialDecrypt()` replaces `SessionCipher.prototype.decryptWithSessions` (process-wide,
 * once) with the copy-then-adopt version. Baileys, the worker and the simulator's phones share
 * the one libsignal module, so all of them get it.
 */

interface SessionEntryLike {
  indexInfo: { used: number };
  serialize(): unknown;
}

interface SessionEntryClass {
  deserialize(data: unknown): SessionEntryLike;
}

interface CipherInternals {
  doDecryptWhisperMessage(data: Buffer, session: SessionEntryLike): Promise<Buffer>;
  decryptWithSessions(data: Buffer, sessions: SessionEntryLike[]): Promise<{ session: SessionEntryLike; plaintext: Buffer }>;
}

interface LibsignalModule {
  SessionCipher: { prototype: CipherInternals & { [INSTALLED]?: true } };
  SessionError: new (message: string) => Error;
}

const INSTALLED = Symbol.for('wagate.libsignal.trialDecrypt');

// libsignal is CommonJS, and its typings leave out the SessionCipher internals replaced here.
const libsignal = createRequire(import.meta.url)('libsignal') as LibsignalModule;

/** Makes `target` hold exactly `source`'s own fields (a field the source lacks is removed). */
function adopt(target: SessionEntryLike, source: SessionEntryLike): void {
  const t = target as unknown as Record<string, unknown>;
  const s = source as unknown as Record<string, unknown>;
  for (const key of Object.keys(t)) if (!(key in s)) delete t[key];
  Object.assign(t, s);
}

async function decryptWithSessions(this: CipherInternals, data: Buffer, sessions: SessionEntryLike[]): Promise<{ session: SessionEntryLike; plaintext: Buffer }> {
  if (sessions.length === 0) throw new libsignal.SessionError('No sessions available');
  const reasons: string[] = [];
  for (const session of sessions) {
    const trial = (session.constructor as unknown as SessionEntryClass).deserialize(session.serialize());
    try {
      const plaintext = await this.doDecryptWhisperMessage(data, trial);
      trial.indexInfo.used = Date.now();
      // Only the session that decrypted changes; the record the caller stores holds it.
      adopt(session, trial);
      return { session, plaintext };
    } catch (error) {
      // Not this session: the stored one is untouched, try the next.
      reasons.push(error instanceof Error ? error.message : String(error));
    }
  }
  // libsignal prints each session's error to the console; here they go with the error, which
  // Baileys logs. The text still starts as libsignal's: Baileys asks the sender for a retry unless
  // the text is exactly its "key used already" one (that stays a nack, as before).
  throw new libsignal.SessionError(`No matching sessions found for message (${reasons.join('; ')})`);
}

/** Installs the fix once per process; later calls do nothing. */
export function installTrialDecrypt(): void {
  const proto = libsignal.SessionCipher.prototype;
  if (proto[INSTALLED]) return;
  proto.decryptWithSessions = decryptWithSessions;
  proto[INSTALLED] = true;
}
