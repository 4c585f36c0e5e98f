import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KeyFileError,
  KeyFilePermissionError,
  LocalKeys,
  encodeSigningPublicKey,
  generateDeviceIdentity,
  generateIdentity,
  hasSigningKey,
  publicKeyText,
  secretKeyText,
} from '../src/index.js';
import {
  StateFileWriter,
  loadOrCreateDeviceIdentity,
  loadPeers,
  readAnchorFile,
  readAnchorPublicKeyFile,
  readDevicePublicKeyFile,
  readIdentityFile,
  readPublicKeyFile,
  readStateFile,
  stateFilePath,
  writeAnchorFiles,
  writeIdentityFiles,
} from '../src/fs.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kx-fs-v2-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('version 2 key files', () => {
  it('write and read signing key', async () => {
    const identity = generateDeviceIdentity();
    const files = await writeIdentityFiles(join(dir, 'alice'), { identity });
    const secretLines = (await readFile(files.secretKeyPath, 'utf8')).trim().split('\n');
    expect(secretLines).toHaveLength(2);
    expect(secretLines[1]).toMatch(/^mqe2e-ss1-/);
    const read = await readIdentityFile(files.secretKeyPath);
    expect(hasSigningKey(read)).toBe(true);
    expect(read).toEqual(identity);
    expect(await readPublicKeyFile(files.publicKeyPath)).toEqual(identity.publicKey);
    const pubLines = (await readFile(files.publicKeyPath, 'utf8')).trim().split('\n');
    expect(pubLines).toEqual([publicKeyText(identity), encodeSigningPublicKey(identity.signing.publicKey)]);
  });

  it('reads both public keys', async () => {
    const identity = generateDeviceIdentity();
    const files = await writeIdentityFiles(join(dir, 'erin'), { identity });
    const keys = await readDevicePublicKeyFile(files.publicKeyPath);
    expect(keys.encryptionKey).toEqual(identity.publicKey);
    expect(keys.signingKey).toEqual(identity.signing.publicKey);
    const old = await writeIdentityFiles(join(dir, 'frank'), { identity: generateIdentity() });
    await expect(readDevicePublicKeyFile(old.publicKeyPath)).rejects.toThrow(/no signing key line/);
  });

  it('upgrades version 1 file', async () => {
    const old = generateIdentity();
    await writeIdentityFiles(join(dir, 'bob'), { identity: old });
    expect(await readFile(join(dir, 'bob.key'), 'utf8')).toBe(`${secretKeyText(old)}\n`);
    const upgraded = await loadOrCreateDeviceIdentity(join(dir, 'bob'));
    expect(upgraded.publicKey).toEqual(old.publicKey);
    expect(upgraded.secretKey).toEqual(old.secretKey);
    expect(await readIdentityFile(join(dir, 'bob.key'))).toEqual(upgraded);
    expect((await stat(join(dir, 'bob.key'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateDeviceIdentity(join(dir, 'bob'))).toEqual(upgraded);
  });

  it('peer loading skips signing lines', async () => {
    const identity = generateDeviceIdentity();
    await writeIdentityFiles(join(dir, 'carol'), { identity });
    const peers = await loadPeers(dir);
    expect(peers.list().map((peer) => peer.name)).toEqual(['carol']);
  });

  it('rejects two signing lines', async () => {
    const identity = generateDeviceIdentity();
    const files = await writeIdentityFiles(join(dir, 'dave'), { identity });
    const content = await readFile(files.secretKeyPath, 'utf8');
    const lines = content.trim().split('\n');
    await writeFile(files.secretKeyPath, `${content}${lines[1]}\n`, { mode: 0o600 });
    await expect(readIdentityFile(files.secretKeyPath)).rejects.toThrow(/at most one mqe2e-ss1- line/);
  });

  it('anchor files round trip', async () => {
    const written = await writeAnchorFiles(join(dir, 'org'));
    expect(await readAnchorFile(written.secretKeyPath)).toEqual(written.anchor);
    expect(await readAnchorPublicKeyFile(written.publicKeyPath)).toEqual(written.anchor.publicKey);
    expect((await stat(written.secretKeyPath)).mode & 0o777).toBe(0o600);
    await expect(readIdentityFile(written.secretKeyPath)).rejects.toThrow(/secret key \(mqe2e-sk1-…\) but got anchor secret key/);
  });
});

describe('state file', () => {
  it('writes atomically with mode 0600', async () => {
    const identity = generateDeviceIdentity();
    const keys = new LocalKeys({ prefix: 'e2ee/v1', clientId: 'alice', identity });
    keys.announcement();
    keys.rotate();
    const path = stateFilePath(join(dir, 'alice'));
    const writer = new StateFileWriter(path, () => ({ v: 1, local: keys.exportState() }));
    await Promise.all([writer.save(), writer.save(), writer.save()]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const state = await readStateFile(path);
    expect(state?.local?.retired).toHaveLength(1);
    const restored = new LocalKeys({ prefix: 'e2ee/v1', clientId: 'alice', identity: keys.identity, ...(state?.local ? { state: state.local } : {}) });
    expect(restored.isOwnKeyId(keys.keyId)).toBe(true);
    expect(restored.activeIdentities()).toHaveLength(2);
  });

  it('missing file is empty state', async () => {
    expect(await readStateFile(join(dir, 'none.state.json'))).toBeUndefined();
  });

  it('rejects readable state file', async () => {
    const path = join(dir, 'open.state.json');
    await writeFile(path, '{"v":1}', { mode: 0o644 });
    await expect(readStateFile(path)).rejects.toThrow(KeyFilePermissionError);
  });

  it('rejects malformed group replay window', async () => {
    const path = join(dir, 'window.state.json');
    const epoch = { sender: 'alice', groupId: 'g1', topics: ['plant/#'], secret: 'A'.repeat(43), createdAt: 0, signingKey: null, highestSeq: '9' };
    const window = { top: '9', size: 1024, bitmap: 'A'.repeat(171) };
    const write = (replayWindow: unknown) => writeFile(path, JSON.stringify({ v: 1, groupsReceived: { epochs: [{ ...epoch, replayWindow }] } }), { mode: 0o600 });
    await write(window);
    expect((await readStateFile(path))?.groupsReceived?.epochs[0]?.replayWindow).toEqual(window);
    await write(undefined);
    expect((await readStateFile(path))?.groupsReceived?.epochs[0]?.highestSeq).toBe('9');
    await write({ ...window, bitmap: 'AAAA' });
    const error = await readStateFile(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).reason).toBe('content');
    expect((error as KeyFileError).message).toContain(`State file ${path}: groupsReceived.epochs[0].replayWindow.bitmap must hold 128 bytes`);
    expect((error as KeyFileError).message).toContain('delete replayWindow');
    await write({ ...window, top: '8' });
    await expect(readStateFile(path)).rejects.toThrow(/groupsReceived\.epochs\[0\]\.replayWindow\.top must equal highestSeq/);
  });

  it('rejects unknown version', async () => {
    const path = join(dir, 'v2.state.json');
    await writeFile(path, '{"v":2}', { mode: 0o600 });
    await expect(readStateFile(path)).rejects.toThrow(/not version 1/);
  });
});
