import { randomInt } from 'node:crypto';

export interface GroupParticipant {
  phone: string;
  admin: 'superadmin' | 'admin' | null;
}

export interface SimGroup {
  jid: string;
  subject: string;
  creator: string;
  creation: number;
  participants: GroupParticipant[];
  description?: string;
}

/** Groups on the simulated network, addressed in LID mode as WhatsApp does today. */
export class GroupStore {
  readonly #groups = new Map<string, SimGroup>();

  create(subject: string, creator: string, members: string[]): SimGroup {
    const jid = `120363${String(randomInt(1e9, 1e10 - 1))}${String(randomInt(1e6, 1e7 - 1))}@g.us`;
    const unique = [...new Set(members.filter((m) => m !== creator))];
    const group: SimGroup = {
      jid,
      subject,
      creator,
      creation: Math.floor(Date.now() / 1000),
      participants: [{ phone: creator, admin: 'superadmin' }, ...unique.map((phone) => ({ phone, admin: null }))],
    };
    this.#groups.set(jid, group);
    return group;
  }

  get(jid: string): SimGroup | undefined {
    return this.#groups.get(jid);
  }

  all(): SimGroup[] {
    return [...this.#groups.values()];
  }

  ofMember(phone: string): SimGroup[] {
    return this.all().filter((g) => g.participants.some((p) => p.phone === phone));
  }

  restore(group: SimGroup): void {
    this.#groups.set(group.jid, group);
  }
}
