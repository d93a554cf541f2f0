import { BufferJSON, initAuthCreds, proto } from 'baileys';
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap, SignalKeyStore } from 'baileys';
import type { AuthStateStore, KeyChange } from '../../auth-state/index.js';

export interface BaileysAuthState {
  state: AuthenticationState;
  /** Persist `state.creds` (Baileys mutates it in place); call on every `creds.update`. */
  saveCreds(): Promise<void>;
  /** True when no creds were stored: the session must pair (QR or code). */
  isNew: boolean;
}

const serialize = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
// BufferJSON.reviver is typed loosely in Baileys; the result is what we serialized.
const deserialize = (text: string): unknown => JSON.parse(text, BufferJSON.reviver) as unknown;

/**
 * Baileys' `SignalKeyStore` over our encrypted, fenced store. `set` resolves once the change is
 * stored, or with `recordOnly` once it is recorded (readable; stored by the next flush).
 */
export function makeSignalKeyStore(store: AuthStateStore, options: { recordOnly?: boolean } = {}): SignalKeyStore {
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
      const found = await store.getKeys(type, ids);
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const [id, text] of found) {
        let value = deserialize(text);
        // Baileys calls methods of the protobuf class on these, so a plain object will not do.
        if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
        out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(data: SignalDataSet): Promise<void> {
      const changes: KeyChange[] = [];
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          changes.push({ type, id, value: value === null || value === undefined ? null : serialize(value) });
        }
      }
      if (options.recordOnly === true) await store.recordKeys(changes);
      else await store.setKeys(changes);
    },
  };
}

/** Loads (or initialises) creds and wires the key store; the caller must `claim()` the store first. */
export async function loadBaileysAuthState(store: AuthStateStore): Promise<BaileysAuthState> {
  const text = await store.readCreds();
  const creds = text === null ? initAuthCreds() : (deserialize(text) as AuthenticationCreds);
  const state: AuthenticationState = { creds, keys: makeSignalKeyStore(store) };
  return {
    state,
    isNew: text === null,
    saveCreds: () => store.writeCreds(serialize(state.creds)),
  };
}

/** Serialized size of the creds, for measurements and limits. */
export function credsSize(creds: AuthenticationCreds): number {
  return Buffer.byteLength(serialize(creds));
}
