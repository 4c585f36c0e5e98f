/**
 * Entry '@mqtt-e2ee/envelope/testing': deterministic sealing for test vectors and conformance
 * tests. The caller supplies the ephemeral key input and the sequence number, so the output is
 * reproducible. FOR TESTS ONLY: sealing two messages with the same ikmE and seq reuses a nonce
 * under one key and breaks confidentiality. Applications use EnvelopeSealer.
 */
import { checkBytes, checkInteger } from './bytes.js';
import type { KeyPair } from './dhkem.js';
import { authEncap } from './dhkem.js';
import { computeNonce, keySchedule, MODE_AUTH, setupAuthS } from './hpke.js';
import { checkKeyPair } from './identity.js';
import { checkPublicKey, keyId } from './keys.js';
import { pad, resolvePadding, type PaddingOption } from './padding.js';
import { nobleProvider } from './providers/noble.js';
import type { CryptoProvider } from './provider.js';
import { checkSealSize, sealWithContext } from './sealer.js';
import { encodeTopicName } from './topic.js';
import { buildAad, DIRECT_INFO, encodeHeader, FLAG_PADDED, MAX_ENVELOPE_BYTES } from './wire.js';

/** Input of sealForTesting. */
export interface TestSealInput {
  /** The sender's static key pair. */
  sender: KeyPair;
  recipientPublicKey: Uint8Array;
  /** Input keying material of the ephemeral key (RFC 9180 section 7.1.3, DeriveKeyPair), at least 32 bytes. */
  ikmE: Uint8Array;
  /** Sequence number, 0 to 2^64 - 1. */
  seq: bigint;
  /** Topic name bound into the AAD. */
  topic: string;
  plaintext: Uint8Array;
  /** Padding as in EnvelopeSealerOptions. Default 'none'. */
  padding?: PaddingOption;
  /**
   * Flag bits to OR into the header without padding the plaintext, to build envelopes with invalid
   * padding for negative tests.
   */
  extraFlags?: number;
  /** Largest envelope to produce. Default 268435455. */
  maxEnvelopeBytes?: number;
  provider?: CryptoProvider;
}

/** Output of sealForTesting: the envelope and every intermediate value a vector records. */
export interface TestSealOutput {
  envelope: Uint8Array;
  enc: Uint8Array;
  sharedSecret: Uint8Array;
  key: Uint8Array;
  baseNonce: Uint8Array;
  /** ComputeNonce(seq) = baseNonce XOR I2OSP(seq, 12). */
  nonce: Uint8Array;
  aad: Uint8Array;
  /** The AEAD plaintext: the message, with padding when padded. */
  sealedPlaintext: Uint8Array;
}

/** Largest sequence number of the 8-byte header field. */
const MAX_SEQ = (1n << 64n) - 1n;

/**
 * Seals one envelope with a caller-chosen ephemeral key and sequence number through the same
 * code path as EnvelopeSealer. FOR TESTS ONLY, see the entry comment.
 */
export function sealForTesting(input: TestSealInput): TestSealOutput {
  const provider = input.provider ?? nobleProvider;
  // The checks follow the order of spec/envelope-v1.md section 9.1, so that an input with several
  // faults reports the same first error in every implementation. The low-order check of the
  // recipient key runs last, inside AuthEncap.
  const sender = checkKeyPair(input.sender, 'sender', provider);
  const extraFlags = checkInteger(input.extraFlags ?? 0, 'extraFlags', 0, 0xff);
  const buckets = resolvePadding(input.padding, 'padding');
  const maxEnvelopeBytes = checkInteger(input.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES, 'maxEnvelopeBytes', 76, MAX_ENVELOPE_BYTES);
  const topicBytes = encodeTopicName(input.topic, 'topic');
  checkBytes(input.plaintext, 'plaintext');
  checkPublicKey(input.recipientPublicKey, 'recipientPublicKey');
  checkSealSize(input.plaintext.length, { buckets, maxEnvelopeBytes });
  if (typeof input.seq !== 'bigint' || input.seq < 0n || input.seq > MAX_SEQ) {
    throw new RangeError(`seq must be a bigint from 0 to 2^64 - 1, got ${String(input.seq)}`);
  }
  checkBytes(input.ikmE, 'ikmE');
  if (input.ikmE.length < 32) throw new RangeError(`ikmE must be at least 32 bytes long, got ${input.ikmE.length} bytes`);

  const options = { provider, ikmE: input.ikmE };
  const { sharedSecret } = authEncap(provider, input.recipientPublicKey, sender.secretKey, options);
  const secrets = keySchedule(provider, MODE_AUTH, sharedSecret, DIRECT_INFO);
  const { enc, context } = setupAuthS(input.recipientPublicKey, DIRECT_INFO, sender.secretKey, options);
  const fields = {
    flags: extraFlags,
    senderKeyId: keyId(sender.publicKey),
    recipientKeyId: keyId(input.recipientPublicKey),
    enc,
    seq: input.seq,
  };
  const envelope = sealWithContext(context, fields, topicBytes, input.plaintext, buckets);
  const flags = extraFlags | (buckets === undefined ? 0 : FLAG_PADDED);
  return {
    envelope,
    enc,
    sharedSecret,
    key: secrets.key,
    baseNonce: secrets.baseNonce,
    nonce: computeNonce(secrets.baseNonce, input.seq),
    aad: buildAad(encodeHeader({ ...fields, flags }), topicBytes),
    sealedPlaintext: buckets === undefined ? input.plaintext.slice() : pad(input.plaintext, buckets),
  };
}
