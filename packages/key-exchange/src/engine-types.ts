/** Types of KeyExchange: its transport, options, events and receive outcomes. */
import type { CryptoProvider, E2eeError } from '@mqtt-e2ee/envelope';
import type { Announcement } from './announcement.js';
import type { KeyDirectory } from './directory.js';
import type { GroupReceiver } from './group-receiver.js';
import type { DeviceIdentity } from './identity.js';
import type { LocalKeys } from './local-keys.js';
import type { KeyExchangeStateParts } from './state.js';

/** Publish and subscribe operations of the MQTT client that KeyExchange runs on. */
export interface KeyExchangeTransport {
  publish(topic: string, payload: Uint8Array, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
  /** Subscribes and resolves with one SUBACK reason code per filter: 0 to 2 granted, 0x80 or above refused. */
  subscribe(filters: readonly string[], qos: 0 | 1): Promise<readonly number[]>;
}

/**
 * Behaviour when the broker has no retained messages. 'fail' raises RetainUnavailableError, and
 * 'request' publishes records without retain and requests that peers publish theirs again on the
 * discovery topic.
 */
export type RetainUnavailableMode = 'fail' | 'request';

/** A decrypted message with its sender. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly plaintext: Uint8Array;
  readonly kind: 'direct' | 'group';
  /** Client id of the sender, from its verified announcement. */
  readonly sender: string | undefined;
  readonly senderKeyId: string | undefined;
  readonly groupId: string | undefined;
  readonly seq: bigint;
  /** Whether a per-message signature was verified (group messages of signed groups). */
  readonly signed: boolean;
}

/** Key events for logs and alarms. */
export interface KeyEvent {
  readonly type: 'accepted' | 'rotated' | 'rejected' | 'changed' | 'revoked' | 'group-keys' | 'member-unreachable';
  readonly clientId: string | undefined;
  readonly error?: E2eeError;
  readonly detail?: string;
}

export interface KeyExchangeEvents extends Record<string, unknown[]> {
  /** A control record was processed. A 'changed' event is the trust-on-first-use alarm. */
  key: [event: KeyEvent];
  /** Persistent state changed; save `exportState()`. */
  state: [];
  /** The own key was rotated; store the new identity in the key file. */
  rotated: [identity: DeviceIdentity, announcement: Announcement];
}

/** Result of KeyExchange.receive for one message. */
export type ReceiveOutcome<M> =
  | { readonly kind: 'control' }
  | { readonly kind: 'message'; readonly message: ReceivedMessage; readonly meta: M }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'pending' }
  | { readonly kind: 'error'; readonly error: E2eeError };

export interface KeyExchangeOptions {
  readonly transport: KeyExchangeTransport;
  readonly local: LocalKeys;
  readonly directory: KeyDirectory;
  readonly groups: GroupReceiver;
  readonly provider?: CryptoProvider;
  readonly retainUnavailable?: RetainUnavailableMode;
  /** QoS of control messages. Default 1. */
  readonly qos?: 0 | 1;
  /** How long `peer()` waits for an announcement, in milliseconds. Default 5000. */
  readonly discoveryTimeoutMs?: number;
  /** Saved sender state of groups, by group id. */
  readonly groupsSent?: KeyExchangeStateParts['groupsSent'];
  /**
   * Stores a new identity (key file and state) after a rotation. rotate() waits for it before it
   * announces the new key, so a key that was never stored is never announced.
   */
  readonly persistRotation?: (identity: DeviceIdentity) => Promise<void>;
  readonly now?: () => number;
}
