/**
 * Runs one vector case through @mqtt-e2ee/envelope. The generator uses it to compute expected
 * outputs, and the conformance adapter uses it to reply to cases.
 */
import {
  canonicalTopic,
  classifyPayload,
  compileTopicMap,
  encodeTopicName,
  E2eeError,
  EnvelopeOpener,
  keyIdHex,
  keyPairFromSecretKey,
  MemoryReplayStore,
  nobleProvider,
  type CryptoProvider,
  type EnvelopeOpenerOptions,
  type ReplayStore,
} from '@mqtt-e2ee/envelope';
import { sealForTesting } from '@mqtt-e2ee/envelope/testing';
import type {
  CanonicalTopicInput,
  ClassifyInput,
  ErrorOutput,
  KeyIdInput,
  OpenInput,
  OpenOutput,
  ReceiverInput,
  SealInput,
  SealOutput,
  SequenceInput,
  SequenceOutput,
  SequenceResult,
  VectorOp,
} from './format.js';
import { fromHex, toHex } from './hex.js';

/** Largest sealed plaintext whose bytes a seal vector records. */
export const MAX_RECORDED_PLAINTEXT = 4096;

/** Maps a thrown value to its registry code. TypeError and RangeError come from input checks. */
export function errorCode(error: unknown): string {
  if (error instanceof E2eeError) return error.code;
  if (error instanceof TypeError || error instanceof RangeError) return 'ERR_INVALID_ARGUMENT';
  throw error;
}

function attempt<T>(run: () => T): T | ErrorOutput {
  try {
    return run();
  } catch (error) {
    return { error: errorCode(error) };
  }
}

/** Parses a protocol seq string, 0|[1-9][0-9]*, raising RangeError (ERR_INVALID_ARGUMENT) for any other string. */
export function parseSeq(text: unknown): bigint {
  if (typeof text !== 'string') throw new TypeError(`seq must be a decimal string, got ${typeof text}`);
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new RangeError(`seq must be a decimal string, got "${text}"`);
  return BigInt(text);
}

export function runKeyId(input: KeyIdInput): { keyId: string } | ErrorOutput {
  return attempt(() => ({ keyId: keyIdHex(fromHex(input.publicKey)) }));
}

export function runSeal(input: SealInput, provider: CryptoProvider = nobleProvider): SealOutput | ErrorOutput {
  return attempt(() => {
    const plaintext = fromHex(input.plaintext);
    const out = sealForTesting({
      sender: keyPairFromSecretKey(fromHex(input.senderSecretKey), provider),
      recipientPublicKey: fromHex(input.recipientPublicKey),
      ikmE: fromHex(input.ikmE),
      seq: parseSeq(input.seq),
      topic: boundTopic(input.topic, input.topicMap ?? []),
      plaintext,
      padding: input.padding ?? 'none',
      extraFlags: input.extraFlags ?? 0,
      ...(input.maxEnvelopeBytes === undefined ? {} : { maxEnvelopeBytes: input.maxEnvelopeBytes }),
      provider,
    });
    const result: SealOutput = {
      envelope: toHex(out.envelope),
      enc: toHex(out.enc),
      sharedSecret: toHex(out.sharedSecret),
      key: toHex(out.key),
      baseNonce: toHex(out.baseNonce),
      nonce: toHex(out.nonce),
      aad: toHex(out.aad),
    };
    if (out.sealedPlaintext.length <= MAX_RECORDED_PLAINTEXT) result.sealedPlaintext = toHex(out.sealedPlaintext);
    return result;
  });
}

function openerFor(input: ReceiverInput, store: ReplayStore, provider: CryptoProvider): EnvelopeOpener {
  const senders = input.senderPublicKeys.map(fromHex);
  const options: EnvelopeOpenerOptions = {
    identities: input.recipientSecretKeys.map((key) => keyPairFromSecretKey(fromHex(key), provider)),
    resolveSender: () => senders,
    provider,
    replayStore: store,
  };
  if (input.topicMap !== undefined) options.topicMap = input.topicMap;
  if (input.maxEnvelopeBytes !== undefined) options.maxEnvelopeBytes = input.maxEnvelopeBytes;
  if (input.replayWindow !== undefined) options.replayWindow = input.replayWindow;
  return new EnvelopeOpener(options);
}

export function runOpen(input: OpenInput, provider: CryptoProvider = nobleProvider): OpenOutput | ErrorOutput {
  return attempt(() => {
    const opener = openerFor(input, new MemoryReplayStore(), provider);
    const opened = opener.open(input.topic, fromHex(input.envelope));
    return {
      plaintext: toHex(opened.plaintext),
      senderPublicKey: toHex(opened.senderPublicKey),
      senderKeyId: opened.senderKeyId,
      recipientKeyId: opened.recipientKeyId,
      seq: opened.seq.toString(),
      sessionId: opened.sessionId,
      boundTopic: opened.boundTopic,
      padded: opened.padded,
    };
  });
}

/**
 * Runs the steps of a sequence case against one receiver. A 'restart' step drops the receiver,
 * with its session cache, and builds a new one on the same replay store, as a process restart
 * with a persistent store does.
 */
export function runSequence(input: SequenceInput, provider: CryptoProvider = nobleProvider): SequenceOutput | ErrorOutput {
  return attempt(() => {
    const store = new MemoryReplayStore();
    let opener = openerFor(input, store, provider);
    const results: SequenceResult[] = input.steps.map((step) => {
      if (step.action === 'restart') {
        opener = openerFor(input, store, provider);
        return { restarted: true };
      }
      const outcome = attempt(() => opener.open(step.topic, fromHex(step.envelope)));
      if ('error' in outcome) return outcome;
      return { seq: outcome.seq.toString(), plaintext: toHex(outcome.plaintext) };
    });
    return { results };
  });
}

export function runClassify(input: ClassifyInput): { kind: string } | ErrorOutput {
  return attempt(() => ({ kind: classifyPayload(fromHex(input.payload)) }));
}

/**
 * Validates the topic map and the topic, and returns the bound topic, which must be a valid topic
 * name too (spec/envelope-v1.md section 7.1). Every failure is ERR_INVALID_ARGUMENT.
 */
function boundTopic(topic: string, topicMap: unknown): string {
  const map = compileTopicMap(topicMap, 'topicMap');
  encodeTopicName(topic, 'topic');
  const bound = canonicalTopic(topic, map);
  encodeTopicName(bound, 'topic after topicMap');
  return bound;
}

export function runCanonicalTopic(input: CanonicalTopicInput): { topic: string } | ErrorOutput {
  return attempt(() => ({ topic: boundTopic(input.topic, input.topicMap) }));
}

/** Runs any case by its op name, for the conformance adapter. */
export function runCase(op: VectorOp, input: unknown, provider: CryptoProvider = nobleProvider): unknown {
  switch (op) {
    case 'key-id':
      return runKeyId(input as KeyIdInput);
    case 'seal':
      return runSeal(input as SealInput, provider);
    case 'open':
      return runOpen(input as OpenInput, provider);
    case 'sequence':
      return runSequence(input as SequenceInput, provider);
    case 'classify':
      return runClassify(input as ClassifyInput);
    case 'canonical-topic':
      return runCanonicalTopic(input as CanonicalTopicInput);
  }
}
