import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KeyFileError,
  KeyFilePermissionError,
  KeyFormatError,
  generateIdentity,
  keyIdHex,
  publicKeyText,
  secretKeyText,
} from '../src/index.js';
import {
  loadOrCreateIdentity,
  loadPeers,
  readIdentityFile,
  readPublicKeyFile,
  writeIdentityFiles,
} from '../src/fs.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-keys-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

describe('writeIdentityFiles', () => {
  it('writes key 0600 and pub', async () => {
    const written = await writeIdentityFiles(join(dir, 'alice'));
    expect(written.secretKeyPath).toBe(join(dir, 'alice.key'));
    expect(written.publicKeyPath).toBe(join(dir, 'alice.pub'));
    expect(await modeOf(written.secretKeyPath)).toBe(0o600);
    expect(await modeOf(written.publicKeyPath)).toBe(0o644);
    expect(await readFile(written.secretKeyPath, 'utf8')).toBe(`${secretKeyText(written.identity)}\n`);
    expect(await readFile(written.publicKeyPath, 'utf8')).toBe(`${publicKeyText(written.identity)}\n`);
    expect(written.keyId).toBe(keyIdHex(written.identity));
  });

  it('leaves no temp files', async () => {
    await writeIdentityFiles(join(dir, 'alice'));
    await writeIdentityFiles(join(dir, 'alice'), { overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(['alice.key', 'alice.pub']);
  });

  it('stores a given identity', async () => {
    const identity = generateIdentity();
    await writeIdentityFiles(join(dir, 'bob'), { identity });
    expect(await readIdentityFile(join(dir, 'bob.key'))).toEqual(identity);
    expect(await readPublicKeyFile(join(dir, 'bob.pub'))).toEqual(identity.publicKey);
  });

  it('never replaces without overwrite', async () => {
    const first = await writeIdentityFiles(join(dir, 'alice'));
    const error = await rejection(writeIdentityFiles(join(dir, 'alice')));
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).reason).toBe('exists');
    expect((error as KeyFileError).code).toBe('ERR_KEY_FILE');
    expect(await readIdentityFile(first.secretKeyPath)).toEqual(first.identity);
    expect((await readdir(dir)).sort()).toEqual(['alice.key', 'alice.pub']);
  });

  it('concurrent writers keep one identity', async () => {
    const base = join(dir, 'race');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => writeIdentityFiles(base)));
    const winners = results.filter((result) => result.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(KeyFileError);
      }
    }
    const winner = winners[0];
    const identity = winner?.status === 'fulfilled' ? winner.value.identity : undefined;
    expect(await readIdentityFile(`${base}.key`)).toEqual(identity);
    expect(await readPublicKeyFile(`${base}.pub`)).toEqual(identity?.publicKey);
    expect((await readdir(dir)).sort()).toEqual(['race.key', 'race.pub']);
  });

  it('overwrite replaces both files', async () => {
    const first = await writeIdentityFiles(join(dir, 'alice'));
    const second = await writeIdentityFiles(join(dir, 'alice'), { overwrite: true });
    expect(second.identity).not.toEqual(first.identity);
    expect(await readIdentityFile(second.secretKeyPath)).toEqual(second.identity);
    expect(await modeOf(second.secretKeyPath)).toBe(0o600);
  });

  it('rejects base paths with extensions', async () => {
    const error = await rejection(writeIdentityFiles(join(dir, 'alice.key')));
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).reason).toBe('path');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('readIdentityFile', () => {
  it('rejects group or world access', async () => {
    const { secretKeyPath } = await writeIdentityFiles(join(dir, 'alice'));
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o660]) {
      await chmod(secretKeyPath, mode);
      const error = await rejection(readIdentityFile(secretKeyPath));
      expect(error).toBeInstanceOf(KeyFilePermissionError);
      const permissionError = error as KeyFilePermissionError;
      expect(permissionError.code).toBe('ERR_KEY_FILE_PERMISSIONS');
      expect(permissionError.path).toBe(secretKeyPath);
      expect(permissionError.mode).toBe(mode);
      expect(permissionError.message).toContain(`chmod 600 ${secretKeyPath}`);
    }
  });

  it('accepts owner-only modes', async () => {
    const { secretKeyPath, identity } = await writeIdentityFiles(join(dir, 'alice'));
    await chmod(secretKeyPath, 0o400);
    expect(await readIdentityFile(secretKeyPath)).toEqual(identity);
  });

  it('skips comments and blank lines', async () => {
    const identity = generateIdentity();
    const path = join(dir, 'commented.key');
    await writeFile(path, `# alice\n\n  ${secretKeyText(identity)}  \r\n\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    expect(await readIdentityFile(path)).toEqual(identity);
  });

  it('rejects several key lines', async () => {
    const path = join(dir, 'two.key');
    const lines = `${secretKeyText(generateIdentity())}\n${secretKeyText(generateIdentity())}\n`;
    await writeFile(path, lines, { mode: 0o600 });
    await chmod(path, 0o600);
    const error = await rejection(readIdentityFile(path));
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).reason).toBe('content');
  });

  it('rejects a public key file', async () => {
    const { publicKeyPath } = await writeIdentityFiles(join(dir, 'alice'));
    await chmod(publicKeyPath, 0o600);
    const error = await rejection(readIdentityFile(publicKeyPath));
    expect(error).toBeInstanceOf(KeyFormatError);
    expect((error as KeyFormatError).reason).toBe('prefix');
    expect((error as Error).message).toContain(`${publicKeyPath}:1`);
  });

  it('errors never contain the secret', async () => {
    const { secretKeyPath } = await writeIdentityFiles(join(dir, 'alice'));
    const text = (await readFile(secretKeyPath, 'utf8')).trim();
    const flipped = text.at(-1) === 'A' ? 'B' : 'A';
    await writeFile(secretKeyPath, `${text.slice(0, -1)}${flipped}\n`);
    const error = await rejection(readIdentityFile(secretKeyPath));
    expect(error).toBeInstanceOf(KeyFormatError);
    expect((error as KeyFormatError).reason).toBe('checksum');
    const body = text.slice('mqe2e-sk1-'.length);
    for (let index = 0; index + 8 <= body.length; index++) {
      expect((error as Error).message).not.toContain(body.slice(index, index + 8));
    }
  });

  it('rejects a directory', async () => {
    const error = await rejection(readPublicKeyFile(dir));
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).reason).toBe('not-a-file');
  });
});

describe('loadOrCreateIdentity', () => {
  it('creates once then reads', async () => {
    const base = join(dir, 'device');
    const created = await loadOrCreateIdentity(base);
    expect(await modeOf(`${base}.key`)).toBe(0o600);
    const loaded = await loadOrCreateIdentity(base);
    expect(loaded).toEqual(created);
  });
});

describe('loadPeers', () => {
  it('loads a directory of pub files', async () => {
    const alice = await writeIdentityFiles(join(dir, 'alice'));
    const bob = await writeIdentityFiles(join(dir, 'bob'));
    const carol = generateIdentity();
    await writeFile(join(dir, 'team.pub'), `# team\n${publicKeyText(carol)} Carol C\n`);
    await writeFile(join(dir, 'notes.txt'), 'not a key\n');
    const peers = await loadPeers(dir);
    expect(peers.size).toBe(3);
    expect(peers.resolve(keyIdHex(alice.identity))).toEqual([alice.identity.publicKey]);
    expect(peers.peersNamed('alice').map((peer) => peer.keyId)).toEqual([alice.keyId]);
    expect(peers.peersNamed('bob').map((peer) => peer.keyId)).toEqual([bob.keyId]);
    expect(peers.peersNamed('Carol C').map((peer) => peer.keyId)).toEqual([keyIdHex(carol)]);
  });

  it('loads a single peer file', async () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    const path = join(dir, 'peers.txt');
    await writeFile(path, `${publicKeyText(alice)} alice\n\n${publicKeyText(bob)}\n`);
    const peers = await loadPeers(path);
    expect(peers.size).toBe(2);
    expect(peers.peersWithKeyId(keyIdHex(alice))[0]?.name).toBe('alice');
    expect(peers.peersWithKeyId(keyIdHex(bob))[0]?.name).toBeUndefined();
  });

  it('names file and line on errors', async () => {
    const path = join(dir, 'peers.txt');
    const good = publicKeyText(generateIdentity());
    await writeFile(path, `${good}\n${good.slice(0, -2)}xx\n`);
    const error = await rejection(loadPeers(path));
    expect(error).toBeInstanceOf(KeyFormatError);
    expect((error as Error).message).toContain(`${path}:2`);
    expect((error as KeyFormatError).cause).toBeInstanceOf(KeyFormatError);
  });

  it('rejects control characters in names', async () => {
    const path = join(dir, 'peers.txt');
    await writeFile(
      path,
      `${publicKeyText(generateIdentity())}\tAlice\t B\n${publicKeyText(generateIdentity())} x\u0007y\n`,
    );
    const error = await rejection(loadPeers(path));
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).reason).toBe('content');
    expect((error as Error).message).toContain(`${path}:2`);
  });

  it('normalizes whitespace in names', async () => {
    const path = join(dir, 'peers.txt');
    const key = publicKeyText(generateIdentity());
    await writeFile(path, `${key}\tAlice\t  B\n`);
    const peers = await loadPeers(path);
    expect(peers.list().map((peer) => peer.name)).toEqual(['Alice B']);
  });

  it('rejects secret keys in peer files', async () => {
    const path = join(dir, 'oops.pub');
    const secret = secretKeyText(generateIdentity());
    await writeFile(path, `${secret}\n`);
    const error = await rejection(loadPeers(dir));
    expect(error).toBeInstanceOf(KeyFormatError);
    expect((error as Error).message).toContain('secret key');
    expect((error as Error).message).not.toContain(secret.slice(10, 30));
  });
});
