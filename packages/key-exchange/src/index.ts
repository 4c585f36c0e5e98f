/**
 * @mqtt-e2ee/key-exchange: key text format, identities, key ids and an in-memory peer directory.
 * This entry imports no node: modules so that it runs in browsers; the file keystore is in
 * '@mqtt-e2ee/key-exchange/fs'.
 */
export {
  KeyFormatError,
  KeyFileError,
  KeyFilePermissionError,
  type KeyFormatReason,
  type KeyFileReason,
  type KeyKind,
} from './errors.js';
export {
  PUBLIC_KEY_PREFIX,
  SECRET_KEY_PREFIX,
  KEY_CHECKSUM_LENGTH,
  KEY_TEXT_LENGTH,
  checkPublicKey,
  decodePublicKey,
  decodeSecretKey,
  encodePublicKey,
  encodeSecretKey,
  toPublicKey,
  type PublicKeyInput,
} from './keytext.js';
export {
  generateIdentity,
  identityFromSecretKeyText,
  keyIdHex,
  publicKeyText,
  secretKeyText,
} from './identity.js';
export { PeerDirectory, MAX_PEER_NAME_LENGTH, type Peer, type PeerInit } from './peers.js';
export type { KeyPair } from '@mqtt-e2ee/envelope';
