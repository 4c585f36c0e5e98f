import { keyPairFromSecretKey } from '@mqtt-e2ee/envelope';
import { sha256 } from '@noble/hashes/sha2.js';
import { signingKeyPairFromSecretKey, type DeviceIdentity } from '../src/index.js';

/**
 * Builds key text from raw bytes with Node's own base64url encoder and checksum, independently of
 * the package, so tests can feed keys that the package itself refuses to encode.
 */
export function buildKeyText(prefix: string, key: Uint8Array): string {
  const checksum = sha256(Buffer.concat([Buffer.from(prefix, 'ascii'), key])).subarray(0, 4);
  return prefix + Buffer.concat([key, checksum]).toString('base64url');
}

/** Returns 32 bytes that depend only on `label`, for deterministic test keys. */
export function fixedBytes(label: string): Uint8Array {
  return sha256(Buffer.from(label, 'utf8'));
}

/** Deterministic device identity from a label, for tests. */
export function deviceIdentity(label: string): DeviceIdentity {
  return {
    ...keyPairFromSecretKey(fixedBytes(`${label} x25519`)),
    signing: signingKeyPairFromSecretKey(fixedBytes(`${label} ed25519`)),
  };
}

/** Creates a clock that tests move by hand. */
export function manualClock(start = 1_800_000_000_000): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
    set(ms: number) {
      time = ms;
    },
  };
}
