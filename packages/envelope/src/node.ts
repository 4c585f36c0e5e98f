/** Entry '@mqtt-e2ee/envelope/node': the node:crypto provider and provider selection, for Node.js only. */
import { getCiphers } from 'node:crypto';
import { nobleProvider } from './providers/noble.js';
import { nodeProvider } from './providers/node.js';
import { loadSodiumProvider } from './providers/sodium.js';
import type { CryptoProvider } from './provider.js';

export { nodeProvider } from './providers/node.js';
export { loadSodiumProvider } from './providers/sodium.js';

let fastest: CryptoProvider | undefined;

/**
 * Returns the fastest provider available: sodium (when the optional sodium-native package loads),
 * else node (when this Node.js build offers ChaCha20-Poly1305 and X25519), else noble. It never
 * throws when sodium-native is missing. The choice is made once and cached.
 */
export function fastestProvider(): CryptoProvider {
  fastest ??= loadSodiumProvider() ?? (nodeCryptoWorks() ? nodeProvider : nobleProvider);
  return fastest;
}

function nodeCryptoWorks(): boolean {
  if (!getCiphers().includes('chacha20-poly1305')) return false;
  try {
    // Builds without X25519, such as some FIPS configurations, throw here.
    nodeProvider.x25519PublicKey(new Uint8Array(32).fill(1));
    return true;
  } catch {
    return false;
  }
}
