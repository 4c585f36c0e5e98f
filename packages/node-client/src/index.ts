/**
 * @mqtt-e2ee/node-client: an MQTT.js 5 client for Node.js that seals every publish in an
 * end-to-end encrypted envelope and opens every incoming message. The client logic lives in
 * './core/', which the browser client shares; this entry adds TLS files, key files and
 * Node's debug log.
 */
export { connectE2ee } from './connect.js';
export type { ConnectE2eeOptions, MqttOptions, TlsFileOptions } from './options.js';
export type { KeyExchangeOptions } from './key-exchange.js';
export { E2eeGroup, type E2eeGroupPublishOptions } from './core/kx.js';
export {
  E2eeClient,
  type E2eeClientEvents,
  type E2eePublishOptions,
  type E2eeSubscribeOptions,
} from './core/client.js';
export type { CoreOptions } from './core/settings.js';
export type { ClientStats } from './core/dispatch.js';
export type {
  DecryptFailure,
  DuplicateMessage,
  E2eeMessage,
  RetainedDelete,
  SkippedEnvelope,
  UnencryptedMessage,
} from './core/receiver.js';
export type { PublicKeyInput } from './core/keys.js';
export type { PublishPayload } from './core/payload.js';
export {
  ConnectError,
  InvalidOptionError,
  MessageHandlingError,
  MessageTooLargeError,
  OptionFileError,
  OptionRangeError,
  PublishError,
  SenderNotAllowedError,
  SubscribeError,
} from './core/errors.js';
export { topicMatchesFilter } from './core/topic.js';
