/**
 * @mqtt-e2ee/node-client/core: the platform-neutral client core that the Node.js and browser
 * entries share. It imports no node: modules and takes an MQTT.js client that the caller opens,
 * so it runs with any MQTT.js build and transport.
 */
export { checkBrokerUrlWith, type BrokerUrlRules } from './broker-url.js';
export { connectE2eeWith, openE2eeClient, wholeArray, type CoreConnectOptions, type PlatformHooks } from './connect.js';
export {
  E2eeClient,
  type ClientParts,
  type E2eeClientEvents,
  type E2eePublishOptions,
  type E2eeSubscribeOptions,
  type WirePayload,
} from './client.js';
export type { ClientStats } from './dispatch.js';
export { TypedEmitter, type EventMap } from './emitter.js';
export {
  E2eeGroup,
  isClientId,
  mqttTransport,
  type E2eeGroupPublishOptions,
  type KeyExchangeBaseOptions,
} from './kx.js';
export { checkKeyExchangeObject, KEY_EXCHANGE_BASE_KEYS, keyExchangeSettings } from './kx-options.js';
export { payloadBytes, readPayload, type PublishPayload } from './payload.js';
export {
  checkMqttOptions,
  checkOptionsObject,
  checkProvider,
  CORE_OPTION_KEYS,
  resolveSettings,
  type ClientSettings,
  type CoreOptions,
} from './settings.js';
export type {
  DecryptFailure,
  DuplicateMessage,
  E2eeMessage,
  RetainedDelete,
  SkippedEnvelope,
  UnencryptedMessage,
} from './receiver.js';
export {
  decodePublicKeyInput,
  isSecretKeyText,
  keyCodec,
  resolveKeyIdentity,
  resolvePeers,
  type KeyCodec,
  type PublicKeyInput,
  type SenderResolver,
} from './keys.js';
export {
  ConnectError,
  Described,
  describeValue,
  InvalidOptionError,
  MessageHandlingError,
  MessageTooLargeError,
  OptionFileError,
  OptionRangeError,
  PublishError,
  SenderNotAllowedError,
  SubscribeError,
} from './errors.js';
export { MAX_REMAINING_LENGTH, publishPacketSize } from './limits.js';
export { topicMatchesFilter } from './topic.js';
export { checkKnownKeys, checkOptionalInteger, checkOptionalString, isPlainObject, type QoS } from './validate.js';
export { bytesEqual, toHex } from './bytes.js';
