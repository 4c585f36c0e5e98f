/** Shape of the persistent key exchange state (spec/key-exchange-v1.md, "State"). */
import type { DirectoryState } from './directory.js';
import type { GroupReceiverState } from './group-receiver.js';
import type { GroupSenderState } from './group-sender.js';
import type { LocalKeysState } from './local-keys.js';

/** The parts of the state, each owned by one component. Every part is optional. */
export interface KeyExchangeStateParts {
  readonly directory?: DirectoryState;
  readonly local?: LocalKeysState;
  readonly groupsSent?: Readonly<Record<string, GroupSenderState>>;
  readonly groupsReceived?: GroupReceiverState;
}

/** The state as stored in a file, with its format version. */
export interface KeyExchangeState extends KeyExchangeStateParts {
  readonly v: 1;
}
