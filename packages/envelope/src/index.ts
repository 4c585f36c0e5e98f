/**
 * @mqtt-e2ee/envelope: HPKE (RFC 9180) envelopes for MQTT payloads. This entry imports no
 * node: modules so that it runs in browsers. The node:crypto provider is in
 * '@mqtt-e2ee/envelope/node'.
 */
export {
  E2eeError,
  EnvelopeFormatError,
  UnsupportedVersionError,
  UnsupportedSuiteError,
  UnknownSenderError,
  NotForRecipientError,
  DecryptionError,
  ReplayError,
  DuplicateMessageError,
  PayloadTooLargeError,
  PaddingError,
  InvalidKeyError,
  ERROR_CODES,
  type ErrorCode,
  type ReplayReason,
  type E2eeErrorOptions,
} from './errors.js';
export { BytePool, equalBytes, toHex } from './bytes.js';
export {
  defineProvider,
  sealInto,
  openWith,
  AEAD_KEY_LENGTH,
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  X25519_KEY_LENGTH,
  type CryptoProvider,
  type ProviderPrimitives,
} from './provider.js';
export { nobleProvider } from './providers/noble.js';
export type { KeyPair, Encapsulation, EncapOptions } from './dhkem.js';
export {
  generateKeyPair,
  keyPairFromSecretKey,
  deriveKeyPair,
  keyId,
  keyIdHex,
  isCanonicalPublicKey,
  KEY_ID_LENGTH,
} from './keys.js';
export {
  setupBaseS,
  setupBaseR,
  setupAuthS,
  setupAuthR,
  keySchedule,
  computeNonce,
  HpkeContext,
  KDF_ID,
  AEAD_ID,
  MODE_BASE,
  MODE_AUTH,
  MAX_SEQ,
  type ContextRole,
  type KeyScheduleOutput,
  type SenderSetup,
  type SetupOptions,
} from './hpke.js';
export { KEM_ID, encap, decap, authEncap, authDecap } from './dhkem.js';
export {
  parseHeader,
  ENVELOPE_VERSION,
  SUITE_X25519_SHA256_CHACHA20POLY1305,
  TYPE_DIRECT,
  HEADER_LENGTH,
  MIN_ENVELOPE_LENGTH,
  MAX_TOPIC_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_VERSION_BYTE,
  FLAG_PADDED,
  RESERVED_FLAGS,
  classifyPayload,
  type PayloadKind,
  type EnvelopeHeader,
} from './wire.js';
export { canonicalTopic, compileTopicMap, encodeTopicName, type TopicMapping, type TopicMap } from './topic.js';
export {
  DEFAULT_PADDING_BUCKETS,
  PADDING_MARKER,
  paddedLength,
  type PaddingOption,
} from './padding.js';
export {
  EnvelopeSealer,
  DEFAULT_MAX_MESSAGES_PER_SESSION,
  MAX_MESSAGES_PER_SESSION,
  DEFAULT_MAX_SESSION_AGE_MS,
  DEFAULT_MAX_SENDER_SESSIONS,
  type EnvelopeSealerOptions,
} from './sealer.js';
export {
  EnvelopeOpener,
  DEFAULT_MAX_RECEIVER_SESSIONS,
  type EnvelopeOpenerOptions,
  type OpenedMessage,
  type OpenerStats,
} from './opener.js';
export {
  ReplayWindow,
  DEFAULT_REPLAY_WINDOW,
  MAX_REPLAY_WINDOW,
  type ReplaySnapshot,
  type ReplayStatus,
} from './replay.js';
export {
  MemoryReplayStore,
  DEFAULT_MAX_STORED_SESSIONS,
  type ReplayStore,
  type MemoryReplayStoreOptions,
} from './replay-store.js';
