import { jidNormalizedUser } from 'baileys';
import type { GroupMetadata, WASocket } from 'baileys';
import type { GroupInfo } from '../whatsapp-client.js';
import { toJid } from './send-message.js';

export function mapGroup(meta: GroupMetadata): GroupInfo {
  return {
    id: meta.id,
    subject: meta.subject,
    description: meta.desc ?? undefined,
    owner: meta.owner ?? undefined,
    createdAt: meta.creation === undefined ? undefined : meta.creation * 1000,
    participants: meta.participants.map((p) => ({
      id: p.id,
      phoneJid: p.phoneNumber ?? (p.id.endsWith('@s.whatsapp.net') ? p.id : undefined),
      admin: p.admin ?? null,
    })),
  };
}

/** Group metadata cached per connection, because Baileys asks for it on every group send. */
export class GroupCache {
  readonly #entries = new Map<string, { meta: GroupMetadata; at: number }>();
  constructor(
    readonly ttlMs = 5 * 60_000,
    readonly capacity = 1000,
  ) {}
  get(jid: string): GroupMetadata | undefined {
    const hit = this.#entries.get(jid);
    if (hit === undefined || Date.now() - hit.at > this.ttlMs) return undefined;
    return hit.meta;
  }
  set(meta: GroupMetadata): void {
    this.#entries.delete(meta.id);
    this.#entries.set(meta.id, { meta, at: Date.now() });
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
  invalidate(jid: string): void {
    this.#entries.delete(jid);
  }
}

/** Group and contact operations of the client, on one socket. */
export function groupsAndContacts(sock: WASocket, cache: GroupCache) {
  return {
    async onWhatsApp(phoneNumbers: string[]) {
      const jids = phoneNumbers.map((p) => toJid(p));
      const found = (await sock.onWhatsApp(...jids)) ?? [];
      const byJid = new Map(found.map((r) => [jidNormalizedUser(r.jid), r]));
      return phoneNumbers.map((phoneNumber, i) => {
        const hit = byJid.get(jids[i] ?? '');
        return { phoneNumber, exists: hit?.exists === true, jid: hit?.jid };
      });
    },
    async profilePictureUrl(jid: string): Promise<string | null> {
      try {
        return (await sock.profilePictureUrl(toJid(jid), 'image')) ?? null;
      } catch (error) {
        // WhatsApp answers 404/401 for "no picture" or "not allowed to see it": both mean none.
        const code = (error as { output?: { statusCode?: number } }).output?.statusCode;
        if (code === 404 || code === 401 || code === 403) return null;
        throw error;
      }
    },
    async groupCreate(subject: string, participants: string[]): Promise<GroupInfo> {
      const meta = await sock.groupCreate(subject, participants.map((p) => toJid(p)));
      cache.set(meta);
      return mapGroup(meta);
    },
    async groupMetadata(jid: string): Promise<GroupInfo> {
      const meta = await sock.groupMetadata(jid);
      cache.set(meta);
      return mapGroup(meta);
    },
    async groupList(): Promise<GroupInfo[]> {
      const all = await sock.groupFetchAllParticipating();
      return Object.values(all).map((meta) => {
        cache.set(meta);
        return mapGroup(meta);
      });
    },
    async groupParticipants(jid: string, participants: string[], action: 'add' | 'remove' | 'promote' | 'demote') {
      const results = await sock.groupParticipantsUpdate(jid, participants.map((p) => toJid(p)), action);
      cache.invalidate(jid);
      return results.map((r, i) => {
        const code = Number.parseInt(r.status, 10);
        return { participant: r.jid ?? participants[i] ?? '', ok: code === 200, code: Number.isNaN(code) ? undefined : code };
      });
    },
    async groupInviteCode(jid: string, revoke: boolean): Promise<string> {
      const code = revoke ? await sock.groupRevokeInvite(jid) : await sock.groupInviteCode(jid);
      if (code === undefined) throw new Error('WhatsApp returned no invite code.');
      return code;
    },
    async groupLeave(jid: string): Promise<void> {
      await sock.groupLeave(jid);
      cache.invalidate(jid);
    },
  };
}
