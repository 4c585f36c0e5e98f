/** createKeyExchange: builds KeyExchange with its directory, own keys and group receiver from options and saved state. */
import type { CryptoProvider } from '@mqtt-e2ee/envelope';
import type { Endorsement } from './anchor.js';
import { KeyDirectory } from './directory.js';
import { KeyExchange, type KeyExchangeTransport, type RetainUnavailableMode } from './engine.js';
import { GroupReceiver } from './group-receiver.js';
import type { DeviceIdentity } from './identity.js';
import { LocalKeys } from './local-keys.js';
import type { KeyExchangeStateParts } from './state.js';
import { DEFAULT_PREFIX } from './topics.js';
import type { TrustPolicy } from './trust.js';

/** Options of createKeyExchange. */
export interface CreateKeyExchangeOptions {
  readonly transport: KeyExchangeTransport;
  /** Client id announced for this client: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'. */
  readonly clientId: string;
  readonly identity: DeviceIdentity;
  readonly policy: TrustPolicy;
  /** Topic prefix. Default 'e2ee/v1'. */
  readonly prefix?: string;
  readonly pins?: Readonly<Record<string, string | readonly string[]>>;
  readonly anchors?: readonly (string | Uint8Array)[];
  /** Endorsements of the own key, carried in the announcement. */
  readonly endorsements?: readonly Endorsement[];
  readonly graceMs?: number;
  readonly clockSkewMs?: number;
  /** Validity of the own announcements in milliseconds. Default 7 days. */
  readonly validityMs?: number;
  readonly state?: KeyExchangeStateParts;
  readonly retainUnavailable?: RetainUnavailableMode;
  readonly qos?: 0 | 1;
  readonly discoveryTimeoutMs?: number;
  readonly replayWindow?: number;
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  /** See KeyExchangeOptions.persistRotation. */
  readonly persistRotation?: (identity: DeviceIdentity) => Promise<void>;
}

/** Creates KeyExchange for one client. Call `start()` once connected. */
export function createKeyExchange<M = undefined>(options: CreateKeyExchangeOptions): KeyExchange<M> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const common = {
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
  };
  const directory = new KeyDirectory({
    ...common,
    policy: options.policy,
    prefix,
    ...(options.pins !== undefined ? { pins: options.pins } : {}),
    ...(options.anchors !== undefined ? { anchors: options.anchors } : {}),
    ...(options.clockSkewMs !== undefined ? { clockSkewMs: options.clockSkewMs } : {}),
    ...(options.state?.directory !== undefined ? { state: options.state.directory } : {}),
  });
  const local = new LocalKeys({
    ...common,
    prefix,
    clientId: options.clientId,
    identity: options.identity,
    resolveSender: directory.resolveSender,
    ...(options.validityMs !== undefined ? { validityMs: options.validityMs } : {}),
    ...(options.endorsements !== undefined ? { endorsements: options.endorsements } : {}),
    ...(options.state?.local !== undefined ? { state: options.state.local } : {}),
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.replayWindow !== undefined ? { replayWindow: options.replayWindow } : {}),
  });
  const groups = new GroupReceiver({
    prefix,
    clientId: options.clientId,
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.replayWindow !== undefined ? { replayWindow: options.replayWindow } : {}),
    ...(options.state?.groupsReceived !== undefined ? { state: options.state.groupsReceived } : {}),
  });
  return new KeyExchange<M>({
    transport: options.transport,
    local,
    directory,
    groups,
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.retainUnavailable !== undefined ? { retainUnavailable: options.retainUnavailable } : {}),
    ...(options.qos !== undefined ? { qos: options.qos } : {}),
    ...(options.discoveryTimeoutMs !== undefined ? { discoveryTimeoutMs: options.discoveryTimeoutMs } : {}),
    ...(options.state?.groupsSent !== undefined ? { groupsSent: options.state.groupsSent } : {}),
    ...(options.persistRotation !== undefined ? { persistRotation: options.persistRotation } : {}),
  });
}
