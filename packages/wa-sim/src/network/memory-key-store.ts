import type { SignalDataSet, SignalDataTypeMap, SignalKeyStore } from 'baileys';

type Bucket = Map<string, unknown>;

/**
 * A plain in-memory Signal key store for virtual phones. `get` returns only found ids and a
 * `null` in `set` deletes, as Baileys expects.
 */
export class MemoryKeyStore implements SignalKeyStore {
  readonly data = new Map<string, Bucket>();

  get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    const bucket = this.data.get(type);
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    if (bucket !== undefined) {
      for (const id of ids) {
        const value = bucket.get(id);
        // Values are only ever written through `set` with the matching type key.
        if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
      }
    }
    return Promise.resolve(out);
  }

  set(data: SignalDataSet): Promise<void> {
    for (const [type, entries] of Object.entries(data)) {
      if (entries === undefined) continue;
      let bucket = this.data.get(type);
      if (bucket === undefined) {
        bucket = new Map();
        this.data.set(type, bucket);
      }
      for (const [id, value] of Object.entries(entries as Record<string, unknown>)) {
        if (value === null || value === undefined) bucket.delete(id);
        else bucket.set(id, value);
      }
    }
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.data.clear();
    return Promise.resolve();
  }

  /** Plain object for persistence (serialise with BufferJSON). */
  toJSON(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [type, bucket] of this.data) out[type] = Object.fromEntries(bucket);
    return out;
  }

  static fromJSON(json: Record<string, Record<string, unknown>>): MemoryKeyStore {
    const store = new MemoryKeyStore();
    for (const [type, entries] of Object.entries(json)) store.data.set(type, new Map(Object.entries(entries)));
    return store;
  }
}
