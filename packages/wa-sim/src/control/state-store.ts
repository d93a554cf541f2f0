import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferJSON } from 'baileys';
import type { AuthenticationCreds, BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import type { CompanionDevice } from '../network/device-registry.js';
import type { SimGroup } from '../network/groups.js';
import { MemoryKeyStore } from '../network/memory-key-store.js';
import type { VirtualPhone } from '../network/phone.js';
import { PhoneSignal } from '../network/phone-signal.js';
import type { CreatePhoneOptions } from '../simulator.js';

const FILE = 'wa-sim-state.json';
const VERSION = 1;

interface PhoneState {
  phone: string;
  lid: string;
  pushName: string;
  profilePictureUrl?: string;
  creds: AuthenticationCreds;
  keys: Record<string, Record<string, unknown>>;
  nextPreKeyId: number;
}

type CompanionState = Omit<CompanionDevice, 'preKeys'> & { preKeys: [number, Uint8Array][]; offline: BinaryNode[] };

interface StateFile {
  version: number;
  phones: PhoneState[];
  companions: CompanionState[];
  groups: SimGroup[];
}

/**
 * Writes phones (identity, Signal sessions), companion devices (keys, pre-keys, pending offline
 * stanzas) and groups to `dir`, atomically. Inboxes and receipts routing are not kept.
 */
export async function saveState(core: SimCore, dir: string): Promise<void> {
  const state: StateFile = {
    version: VERSION,
    phones: [...core.phones.values()].map((p) => ({
      phone: p.phone,
      lid: p.lid,
      pushName: p.pushName,
      ...(p.profilePictureUrl ? { profilePictureUrl: p.profilePictureUrl } : {}),
      creds: p.signal.creds,
      keys: p.signal.store.toJSON(),
      nextPreKeyId: p.signal.nextPreKeyId,
    })),
    companions: core.registry.allCompanions().map((d) => ({ ...d, preKeys: [...d.preKeys.entries()] })),
    groups: core.groups.all(),
  };
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(state, BufferJSON.replacer));
  await rename(tmp, join(dir, FILE));
}

/** Loads what `saveState` wrote; a missing file is an empty network. */
export async function loadState(
  core: SimCore,
  dir: string,
  createPhone: (o: CreatePhoneOptions, signal: PhoneSignal) => VirtualPhone,
  lidForPn: (pns: string[]) => { pn: string; lid: string }[],
): Promise<void> {
  let raw: string;
  try {
    raw = await readFile(join(dir, FILE), 'utf8');
  } catch {
    return;
  }
  // The file is our own output; BufferJSON restores its buffers.
  const state = JSON.parse(raw, BufferJSON.reviver) as StateFile;
  if (state.version !== VERSION) throw new Error(`unsupported wa-sim state version ${String(state.version)}`);
  for (const p of state.phones) {
    const signal = new PhoneSignal(p.creds, MemoryKeyStore.fromJSON(p.keys), core.logger.child({ phone: p.phone }), lidForPn, p.nextPreKeyId);
    const phone = createPhone({ phone: p.phone, lid: p.lid, pushName: p.pushName }, signal);
    phone.profilePictureUrl = p.profilePictureUrl;
  }
  for (const c of state.companions) core.registry.addCompanion({ ...c, preKeys: new Map(c.preKeys.map(([id, key]) => [Number(id), key])) });
  for (const g of state.groups) core.groups.restore(g);
}
