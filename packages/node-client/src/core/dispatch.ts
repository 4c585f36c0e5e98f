/**
 * Turns receive outcomes into E2eeClient events and counters. Duplicates are dropped here, clear
 * text goes to 'unencrypted' when strict mode is off, and with an asynchronous replay store every
 * event waits its turn so that a message is delivered only once its replay state is durable.
 */
import {
  classifyPayload,
  DuplicateMessageError,
  E2eeError,
  parseHeader,
  TYPE_DIRECT,
} from '@mqtt-e2ee/envelope';
import type { IPublishPacket } from 'mqtt';
import type { E2eeClientEvents } from './client.js';
import { toHex } from './bytes.js';
import type { TypedEmitter } from './emitter.js';
import type {
  DecryptFailure,
  DuplicateMessage,
  E2eeMessage,
  Outcome,
  UnencryptedMessage,
} from './receiver.js';

/** Counters of incoming messages since the client was created. */
export interface ClientStats {
  /** Messages decrypted, authenticated and emitted as 'message'. */
  delivered: number;
  /** Authenticated copies of delivered messages, dropped and emitted as 'duplicate'. */
  duplicates: number;
  /** Messages emitted as 'decrypt-error', and messages dropped because their replay state could not be saved. */
  rejected: number;
  /** Envelopes addressed to another recipient, emitted as 'skipped'. */
  skipped: number;
  /** Payloads that are not envelopes, emitted as 'unencrypted' (only with `strict: false`). */
  unencrypted: number;
}

/** A receive outcome of the direct path or of key exchange, where 'none' emits nothing. */
export type DispatchOutcome = Outcome | { kind: 'none' };

export interface DispatcherOptions {
  client: TypedEmitter<E2eeClientEvents>;
  log: (message: string) => void;
  /** False hands payloads that are not envelopes to 'unencrypted'. */
  strict: boolean;
  /**
   * Resolves once every replay state saved so far is durable, for a store that saves
   * asynchronously. Undefined for a store whose save is durable when it returns.
   */
  flushReplayState: (() => Promise<void>) | undefined;
}

export class OutcomeDispatcher {
  readonly #client: TypedEmitter<E2eeClientEvents>;
  readonly #log: (message: string) => void;
  readonly #strict: boolean;
  readonly #flush: (() => Promise<void>) | undefined;
  readonly #stats: ClientStats = { delivered: 0, duplicates: 0, rejected: 0, skipped: 0, unencrypted: 0 };
  /** Tail of the events waiting for the replay store, used only when `flush` is set. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: DispatcherOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#strict = options.strict;
    this.#flush = options.flushReplayState;
  }

  /** Copy of the counters. */
  get stats(): ClientStats {
    return { ...this.#stats };
  }

  /**
   * Emits the event of one outcome. `payload` and `packet` are those of the PUBLISH. Key exchange
   * messages released later come without them, so a duplicate then has no sender key id and
   * clear text stays a 'decrypt-error'.
   */
  dispatch(outcome: DispatchOutcome, payload?: Uint8Array, packet?: IPublishPacket): void {
    if (outcome.kind === 'none') return;
    if (outcome.kind === 'message') {
      this.#deliver(outcome.message);
    } else if (outcome.kind === 'skipped') {
      this.#inOrder(() => {
        this.#stats.skipped++;
        this.#client.emit('skipped', outcome.skipped);
      });
    } else if (outcome.kind === 'retained-delete') {
      this.#inOrder(() => this.#client.emit('retained-delete', outcome.retainedDelete));
    } else {
      this.#reject(outcome.error, payload, packet);
    }
  }

  #deliver(message: E2eeMessage): void {
    const emit = (): void => {
      this.#stats.delivered++;
      this.#client.emit('message', message);
    };
    if (this.#flush === undefined) {
      emit();
      return;
    }
    // The flush starts now, so it covers the save that opening this message just made.
    const durable = this.#flush();
    this.#queue = this.#queue.then(
      () => durable.then(() => runListener(emit), (error: unknown) => this.#unsaved(message.topic, error)),
    );
  }

  #reject(error: DecryptFailure, payload: Uint8Array | undefined, packet: IPublishPacket | undefined): void {
    if (error instanceof DuplicateMessageError) {
      const duplicate: DuplicateMessage = {
        topic: error.topic,
        seq: error.seq,
        senderKeyId: payload === undefined ? '' : directSenderKeyId(payload),
        sessionId: error.sessionId,
        retain: packet?.retain ?? false,
      };
      this.#inOrder(() => {
        this.#stats.duplicates++;
        this.#log(`dropped duplicate ${this.#stats.duplicates}: seq ${duplicate.seq} of session ${duplicate.sessionId}`);
        this.#client.emit('duplicate', duplicate);
      });
      return;
    }
    const unencrypted = this.#unencrypted(error, payload, packet);
    if (unencrypted !== undefined) {
      this.#inOrder(() => {
        this.#stats.unencrypted++;
        this.#client.emit('unencrypted', unencrypted);
      });
      return;
    }
    this.#inOrder(() => {
      this.#stats.rejected++;
      this.#log(`rejected incoming message ${this.#stats.rejected}: ${error.code}`);
      this.#client.emit('decrypt-error', error);
    });
  }

  /** Returns the 'unencrypted' event of a payload that is not an envelope, when strict mode is off. */
  #unencrypted(
    error: DecryptFailure,
    payload: Uint8Array | undefined,
    packet: IPublishPacket | undefined,
  ): UnencryptedMessage | undefined {
    if (this.#strict || payload === undefined || packet === undefined) return undefined;
    // Only the classification errors qualify: an oversized payload stays a 'decrypt-error'.
    if (error.code !== 'ERR_ENVELOPE_FORMAT' && error.code !== 'ERR_UNSUPPORTED_VERSION') return undefined;
    const kind = classifyPayload(payload);
    if (kind !== 'not-envelope' && kind !== 'unsupported-version') return undefined;
    const message: UnencryptedMessage = {
      topic: error.topic,
      payload,
      kind,
      qos: packet.qos,
      retain: packet.retain,
    };
    if (packet.properties !== undefined) message.properties = packet.properties;
    return message;
  }

  /** Runs `emit` now, or after the events queued before it while a replay store is flushing. */
  #inOrder(emit: () => void): void {
    if (this.#flush === undefined) emit();
    else this.#queue = this.#queue.then(() => runListener(emit));
  }

  /** Drops a message whose replay state could not be saved, because delivering it could deliver it twice. */
  #unsaved(topic: string, error: unknown): void {
    this.#stats.rejected++;
    const reason = error instanceof Error ? error.message : String(error);
    this.#log(`dropped a message on ${topic}: saving its replay state failed: ${reason}`);
    if (this.#client.listenerCount('error') > 0) {
      this.#client.emit('error', error instanceof Error ? error : new Error(reason));
    }
  }
}

/** Returns the sender key id of a direct envelope, or '' for a group envelope or a short payload. */
function directSenderKeyId(payload: Uint8Array): string {
  if (payload[2] !== TYPE_DIRECT) return '';
  try {
    return toHex(parseHeader(payload).senderKeyId);
  } catch (error) {
    if (error instanceof E2eeError) return '';
    throw error;
  }
}

/**
 * Runs a listener call from the queue. A listener that throws is reported as an uncaught error,
 * as it would be when called synchronously, and the queue goes on with the next event.
 */
function runListener(emit: () => void): void {
  try {
    emit();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
