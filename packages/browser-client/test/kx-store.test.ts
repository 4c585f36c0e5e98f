/**
 * IndexedDbKeyExchangeStore on fake-indexeddb in Node.js, and the checks of the keyExchange
 * option. The Chromium test checks the store behind a real connection.
 */
import { generateDeviceIdentity, generateIdentity, type KeyExchangeState } from '@mqtt-e2ee/key-exchange';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, OptionRangeError } from '../src/index.js';
import { resolveBrowserKeyExchange } from '../src/key-exchange.js';
import { IndexedDbKeyExchangeStore, loadOrCreateDeviceIdentity } from '../src/kx-store.js';
import { checkKeyExchangeCombination } from '../src/options.js';

const open = (factory: IDBFactory) => IndexedDbKeyExchangeStore.open({ indexedDB: factory, databaseName: 'kx-test' });

function stateWith(pin: string): KeyExchangeState {
  return { v: 1, directory: { peers: { peer: { pin, announcement: {} } }, revocations: [] } };
}

describe('IndexedDbKeyExchangeStore', () => {
  it('identity survives reopening', async () => {
    const factory = new IDBFactory();
    const created = await loadOrCreateDeviceIdentity('kx-test', { indexedDB: factory });
    const loaded = await loadOrCreateDeviceIdentity('kx-test', { indexedDB: factory });
    expect(loaded.publicKey).toEqual(created.publicKey);
    expect(loaded.signing.publicKey).toEqual(created.signing.publicKey);
    const other = await loadOrCreateDeviceIdentity('kx-other', { indexedDB: factory });
    expect(other.publicKey).not.toEqual(created.publicKey);
  });

  it('saved identity replaces old', async () => {
    const factory = new IDBFactory();
    const store = await open(factory);
    await store.loadOrCreateIdentity();
    const next = generateDeviceIdentity();
    await store.saveIdentity(next);
    await store.close();
    const loaded = await loadOrCreateDeviceIdentity('kx-test', { indexedDB: factory });
    expect(loaded.signing.publicKey).toEqual(next.signing.publicKey);
  });

  it('close writes newest state', async () => {
    const factory = new IDBFactory();
    const store = await open(factory);
    expect(await store.readState()).toBeUndefined();
    let current = stateWith('a'.repeat(64));
    store.track(() => current);
    await store.save();
    current = stateWith('b'.repeat(64));
    await store.close();
    // A save after close waits for the final write instead of using the closed database.
    await store.save();
    const reopened = await open(factory);
    expect(await reopened.readState()).toEqual(current);
    await reopened.close();
  });
});

describe('keyExchange option', () => {
  const base = { clientId: 'web', policy: 'tofu', stateDatabase: false };

  it('peers rejected with keyExchange', () => {
    expect(() => checkKeyExchangeCombination({ keyExchange: base, peers: [] })).toThrow(OptionRangeError);
    expect(() => checkKeyExchangeCombination({ keyExchange: base, replayStateDatabase: 'x' })).toThrow(/opts\.replayStateDatabase/);
  });

  it('unknown policy named', async () => {
    await expect(resolveBrowserKeyExchange({ ...base, policy: 'trust-all' }, generateDeviceIdentity(), undefined)).rejects.toThrow(/opts\.keyExchange\.policy/);
    await expect(resolveBrowserKeyExchange({ ...base, files: true }, generateDeviceIdentity(), undefined)).rejects.toThrow(/files/);
    await expect(resolveBrowserKeyExchange('tofu', generateDeviceIdentity(), undefined)).rejects.toThrow(InvalidOptionError);
  });

  it('identity needs signing key', async () => {
    await expect(resolveBrowserKeyExchange(base, generateIdentity(), undefined)).rejects.toThrow(/generateDeviceIdentity/);
    await expect(resolveBrowserKeyExchange(base, undefined, undefined)).rejects.toThrow(/stateDatabase is false/);
    const identity = generateDeviceIdentity();
    const resolved = await resolveBrowserKeyExchange(base, identity, undefined);
    expect(resolved.identity).toBe(identity);
    expect(resolved.store).toBeUndefined();
  });

  it('endorsement text checked', async () => {
    const options = { ...base, endorsements: ['{"v":1}'] };
    await expect(resolveBrowserKeyExchange(options, generateDeviceIdentity(), undefined)).rejects.toThrow(/endorsements\[0\]/);
  });
});
