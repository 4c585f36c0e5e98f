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
export {
  KeyRecordError,
  KeyChangedError,
  KeyRevokedError,
  KeyExpiredError,
  UnknownPeerError,
  UnknownEpochError,
  NotAuthorizedError,
  RetainUnavailableError,
  type KeyRecordKind,
  type KeyRecordReason,
} from './errors.js';
export {
  SIGNING_PUBLIC_KEY_PREFIX,
  SIGNING_SECRET_KEY_PREFIX,
  ANCHOR_PUBLIC_KEY_PREFIX,
  ANCHOR_SECRET_KEY_PREFIX,
} from './keytext.js';
export {
  generateDeviceIdentity,
  hasSigningKey,
  withSigningKey,
  type DeviceIdentity,
} from './identity.js';
export {
  ED25519_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  checkSigningPublicKey,
  decodeAnchorPublicKey,
  decodeAnchorSecretKey,
  decodeSigningPublicKey,
  decodeSigningSecretKey,
  encodeAnchorPublicKey,
  encodeAnchorSecretKey,
  encodeSigningPublicKey,
  encodeSigningSecretKey,
  generateSigningKeyPair,
  signingKeyFingerprint,
  signingKeyIdHex,
  signingKeyPairFromSecretKey,
  toAnchorPublicKey,
  type SigningKeyPair,
} from './signing.js';
export {
  DEFAULT_PREFIX,
  NAME_REGEXP,
  announcementTopic,
  checkName,
  checkPrefix,
  checkTopicFilter,
  controlFilters,
  discoveryTopic,
  inboxTopic,
  parseControlTopic,
  revocationTopic,
  topicMatchesFilter,
  type ControlTopic,
} from './topics.js';
export {
  MAX_ANNOUNCEMENT_BYTES,
  MAX_ENDORSEMENTS,
  MAX_ROTATION_LINKS,
  announcementBytes,
  announcementKeyId,
  announcementToJson,
  createAnnouncement,
  createRotationLink,
  encodeAnnouncement,
  rotationBytes,
  parseAnnouncement,
  rotationLinkFromJson,
  rotationLinkToJson,
  type Announcement,
  type AnnouncementOptions,
  type RotationLink,
  type RotationLinkJson,
} from './announcement.js';
export {
  MAX_ANCHOR_RECORD_BYTES,
  anchorIdHex,
  encodeEndorsement,
  endorsementBytes,
  revocationBytes,
  encodeRevocation,
  endorseKey,
  endorsementFromJson,
  endorsementToJson,
  generateAnchor,
  parseEndorsement,
  parseRevocation,
  revocationToJson,
  revokeKey,
  type DevicePublicKeys,
  type Endorsement,
  type Revocation,
} from './anchor.js';
export { TRUST_POLICIES, normalizePin, type TrustPolicy } from './trust.js';
export {
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_GRACE_MS,
  KeyDirectory,
  type DirectoryState,
  type IngestResult,
  type KeyDirectoryOptions,
  type PeerKeys,
  type SenderKeyStatus,
} from './directory.js';
export {
  DEFAULT_ANNOUNCEMENT_VALIDITY_MS,
  LocalKeys,
  type LocalKeysOptions,
  type LocalKeysState,
} from './local-keys.js';
export {
  EPOCH_ID_LENGTH,
  EPOCH_SECRET_LENGTH,
  FLAG_SIGNED,
  GROUP_HEADER_LENGTH,
  GROUP_OVERHEAD,
  TYPE_GROUP,
  deriveEpochKeys,
  envelopeKind,
  groupAad,
  groupNonce,
  openGroup,
  parseGroupHeader,
  sealGroup,
  type EnvelopeKind,
  type EpochKeys,
  type GroupHeader,
} from './group-wire.js';
export {
  DEFAULT_KEEP_EPOCHS,
  DEFAULT_MAX_EPOCH_AGE_MS,
  DEFAULT_MAX_MESSAGES_PER_EPOCH,
  GroupSender,
  type GroupSenderOptions,
  type GroupSenderState,
  type KeyMessage,
  type SealedGroupMessage,
} from './group-sender.js';
export {
  DEFAULT_MAX_EPOCHS_PER_GROUP,
  GroupReceiver,
  type GroupReceiverOptions,
  type GroupReceiverState,
  type KeyMessageSender,
  type OpenedGroupMessage,
} from './group-receiver.js';
export { GroupPublisher, type GroupPublisherOptions, type PreparedGroupMessage } from './group-publisher.js';
export {
  GROUP_WINDOW_SAVE_DELAY_MS,
  KeyExchange,
  type KeyEvent,
  type KeyExchangeEvents,
  type KeyExchangeOptions,
  type KeyExchangeTransport,
  type ReceiveOutcome,
  type ReceivedMessage,
  type RetainUnavailableMode,
  type SenderKey,
} from './engine.js';
export { createKeyExchange, type CreateKeyExchangeOptions } from './setup.js';
export type { KeyExchangeState, KeyExchangeStateParts } from './state.js';
