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

/** An X25519 key of a message sender, from its verified announcement. */
export interface SenderKey {
  /** Key id, 16 hex characters. */
  readonly keyId: string;
  /** The 32-byte public key, a copy for this message. */
  readonly publicKey: Uint8Array;
  /** The public key as key text ("mqe2e-pk1-…"). */
  readonly publicKeyText: string;
}

/** A decrypted message with its sender. */
export interface ReceivedMessage {
  readonly topic: string;
  /**
   * Decrypted bytes. Up to 4 KiB this is a view into a block shared with other messages: keep a
   * slice() to store only this message's bytes.
   */
  readonly plaintext: Uint8Array;
  readonly kind: 'direct' | 'group';
  /** Client id of the sender, from its verified announcement. */
  readonly sender: string | undefined;
  /** Key id of the key that sealed a direct envelope, or undefined for a group message. */
  readonly senderKeyId: string | undefined;
  /**
   * For a direct message the key that sealed it (the current key of the sender, or a retired
   * one within its grace period). For a group message the sender's current key, or undefined
   * when the directory has no valid announcement of the sender.
   */
  readonly senderKey: SenderKey | undefined;
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
  | {
      readonly kind: 'skipped';
      readonly reason: string;
      /** Key ids in the header of a skipped direct envelope, 16 hex characters each. Absent for an empty payload. */
      readonly keyIds?: { readonly recipientKeyId: string; readonly senderKeyId: string };
    }
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
