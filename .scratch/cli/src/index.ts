/** @mqtt-e2ee/cli: the `mqtt-e2ee` command as a library, for tests and for embedding. */
export { run } from './run.js';
export type { CommandIo } from './io.js';
export { UsageError, CommandError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
export {
  parsePubArgs,
  parseSubArgs,
  parseKeygenArgs,
  type PubOptions,
  type SubOptions,
  type KeygenOptions,
  type MessageSource,
  type Parsed,
} from './parse.js';
export type { ConnectionOptions } from './connection-options.js';
export { parseBrokerUrl, type BrokerUrl, type BrokerProtocol } from './url.js';
export { formatMessage, type OutputFormat } from './output.js';
export { splitLines } from './input.js';
