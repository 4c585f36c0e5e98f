/**
 * @mqtt-e2ee/browser-client: the end-to-end encrypting MQTT client for browsers. It shares the
 * client core with @mqtt-e2ee/node-client and adds a WebSocket transport that normalizes frames,
 * an IndexedDB key store, and checks for the browser's random source.
 */
export { connectE2ee } from './connect.js';
export type { BrowserConnectOptions, BrowserMqttOptions } from './options.js';
export {
  BrowserKeyStore,
  DEFAULT_DATABASE_NAME,
  MAX_IDENTITY_NAME_LENGTH,
  type IdentityInfo,
  type KeyStoreOptions,
  type PeerInfo,
} from './keystore.js';
export {
  DEFAULT_REPLAY_DATABASE_NAME,
  IndexedDbReplayStore,
  type IndexedDbReplayStoreOptions,
} from './replay-store.js';
export {
  IndexedDbKeyExchangeStore,
  defaultKeyExchangeDatabase,
  loadOrCreateDeviceIdentity,
  type KeyExchangeStoreOptions,
} from './kx-store.js';
export type { BrowserKeyExchangeOptions } from './key-exchange.js';
export {
  KeyStoreError,
  RandomSourceError,
  StateInUseError,
  UnsupportedOptionError,
  WebSocketClosedError,
  type KeyStoreReason,
} from './errors.js';
export { NormalizedWebSocket, frameBytes, type WebSocketConstructor } from './transport.js';
export {
  ConnectError,
  E2eeClient,
  E2eeGroup,
  InvalidOptionError,
  MessageHandlingError,
  MessageTooLargeError,
  OptionRangeError,
  PublishError,
  SenderNotAllowedError,
  SubscribeError,
  topicMatchesFilter,
  type CoreOptions,
  type ClientStats,
  type DecryptFailure,
  type DuplicateMessage,
  type E2eeClientEvents,
  type E2eeMessage,
  type E2eePublishOptions,
  type E2eeSubscribeOptions,
  type PublicKeyInput,
  type PublishPayload,
  type RetainedDelete,
  type SkippedEnvelope,
  type UnencryptedMessage,
} from '@mqtt-e2ee/node-client/core';
export {
  E2eeError,
  generateKeyPair,
  keyIdHex,
  nobleProvider,
  type KeyPair,
} from '@mqtt-e2ee/envelope';
export {
  decodePublicKey,
  encodePublicKey,
  encodeSigningPublicKey,
  generateDeviceIdentity,
  hasSigningKey,
  PeerDirectory,
  publicKeyText,
  type DeviceIdentity,
  type Endorsement,
  type TrustPolicy,
} from '@mqtt-e2ee/key-exchange';
