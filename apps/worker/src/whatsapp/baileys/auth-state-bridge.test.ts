import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Curve, proto } from 'baileys';
import type { BlobStore } from '@wagate/storage';
import { AuthStateStore } from '../../auth-state/index.js';
import { Keyring } from '../../crypto/index.js';
import { tempBlobStore } from '../../test-support/temp-blob-store.js';
import { loadBaileysAuthState } from './auth-state-bridge.js';

const keyring = new Keyring([{ id: 'k0', key: randomBytes(32) }]);
let blobs: BlobStore;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ blobs, cleanup } = await tempBlobStore());
});
afterEach(async () => {
  await cleanup();
});

async function open(): Promise<AuthStateStore> {
  const store = new AuthStateStore({ blobs, keyring, sessionId: 'sess', epoch: 1, workerId: 'w', flushDelayMs: 10 });
  await store.claim();
  return store;
}

describe('Baileys auth-state bridge', () => {
  it('initialises new creds and restores them byte for byte', async () => {
    const first = await loadBaileysAuthState(await open());
    expect(first.isNew).toBe(true);
    first.state.creds.me = { id: '15550001111:3@s.whatsapp.net', lid: '99887766:3@lid' };
    await first.saveCreds();

    const second = await loadBaileysAuthState(await open());
    expect(second.isNew).toBe(false);
    const { creds } = second.state;
    expect(Buffer.isBuffer(creds.noiseKey.private)).toBe(true);
    expect(Buffer.from(creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    expect(creds.signedPreKey.signature).toEqual(first.state.creds.signedPreKey.signature);
    expect(creds.me?.lid).toBe('99887766:3@lid');
    const stored = await blobs.head('auth/sess/creds.json');
    process.stdout.write(`[measure] fresh creds blob ${stored?.size ?? 0} bytes (encrypted envelope)\n`);
  });

  it('round-trips Signal keys with Buffers, drops nulls and returns only found ids', async () => {
    const { state } = await loadBaileysAuthState(await open());
    const pair = Curve.generateKeyPair();
    await state.keys.set({ 'pre-key': { '1': pair, '2': Curve.generateKeyPair() }, session: { 'a.0': new Uint8Array([1, 2, 3]) } });
    await state.keys.set({ 'pre-key': { '2': null } });

    const restored = await loadBaileysAuthState(await open());
    const got = await restored.state.keys.get('pre-key', ['1', '2', '3']);
    expect(Object.keys(got)).toEqual(['1']);
    expect(Buffer.from(got['1']!.public).equals(Buffer.from(pair.public))).toBe(true);
    const sessions = await restored.state.keys.get('session', ['a.0']);
    expect(Buffer.from(sessions['a.0']!)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('rehydrates app-state-sync keys as protobuf objects', async () => {
    const { state } = await loadBaileysAuthState(await open());
    const data = proto.Message.AppStateSyncKeyData.fromObject({ keyData: randomBytes(32), timestamp: 1700000000 });
    await state.keys.set({ 'app-state-sync-key': { AAAAAQ: data } });
    const restored = await loadBaileysAuthState(await open());
    const got = await restored.state.keys.get('app-state-sync-key', ['AAAAAQ']);
    expect(got['AAAAAQ']).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(got['AAAAAQ']!.keyData!)).toEqual(Buffer.from(data.keyData!));
  });
});
