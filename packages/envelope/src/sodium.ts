/**
 * Entry '@mqtt-e2ee/envelope/sodium': the libsodium provider, for Node.js with the optional peer
 * dependency sodium-native installed.
 */
import type { CryptoProvider } from './provider.js';
import { loadSodiumProvider } from './providers/sodium.js';

export { createSodiumProvider, type SodiumModule } from './providers/sodium.js';

const loaded = loadSodiumProvider();
if (loaded === undefined) {
  throw new Error(
    "@mqtt-e2ee/envelope/sodium needs the package sodium-native: install it with 'pnpm add sodium-native', or use fastestProvider() from '@mqtt-e2ee/envelope/node', which falls back without it.",
  );
}

/** Provider on libsodium through sodium-native. Importing this entry fails when sodium-native cannot load. */
export const sodiumProvider: CryptoProvider = loaded;
