/**
 * @mqtt-e2ee/node-client: an MQTT.js 5 client for Node.js that seals every publish in an
 * end-to-end encrypted envelope and opens every incoming message.
 */
export { connectE2ee } from './connect.js';
export {
  E2eeClient,
  type E2eeClientEvents,
  type E2eePublishOptions,
  type E2eeSubscribeOptions,
} from './client.js';
export type { ConnectE2eeOptions, MqttOptions, TlsFileOptions } from './options.js';
export type { DecryptFailure, E2eeMessage, SkippedEnvelope } from './receiver.js';
export type { PublicKeyInput } from './keys.js';
export {
  ConnectError,
  InvalidOptionError,
  MessageHandlingError,
  OptionFileError,
  OptionRangeError,
  PublishError,
  SenderNotAllowedError,
  SubscribeError,
} from './errors.js';
export { topicMatchesFilter } from './topic.js';
