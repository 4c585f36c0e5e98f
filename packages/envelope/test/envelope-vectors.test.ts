import { describe, expect, it } from 'vitest';
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
  type CryptoProvider,
  type EnvelopeOpenerOptions,
  type PaddingOption,
  type TopicMapping,
} from '../src/index.js';
import { sealForTesting } from '../src/testing.js';
import { hex, loadVectors, providers, toHex } from './helpers.js';

// The vectors are read as plain JSON here, independently of the generator in tools/vectors.
type Json = Record<string, any>;
interface Case {
  id: string;
  op: string;
  input: Json;
  expected: Json;
}

const file = loadVectors<{ cases: Case[]; keys: Record<string, { secretKey: string; publicKey: string; keyId: string }> }>('envelope-v1.json');

function code(error: unknown): string {
  if (error instanceof E2eeError) return error.code;
  if (error instanceof TypeError || error instanceof RangeError) return 'ERR_INVALID_ARGUMENT';
  throw error;
}

function outcome(run: () => Json): Json {
  try {
    return run();
  } catch (error) {
    return { error: code(error) };
  }
}

function seal(input: Json, provider: CryptoProvider): Json {
  const out = sealForTesting({
    sender: keyPairFromSecretKey(hex(input.senderSecretKey), provider),
    recipientPublicKey: hex(input.recipientPublicKey),
    ikmE: hex(input.ikmE),
    seq: BigInt(input.seq),
    topic: boundTopic(input.topic, input.topicMap ?? []),
    plaintext: hex(input.plaintext),
    padding: (input.padding ?? 'none') as PaddingOption,
    extraFlags: input.extraFlags ?? 0,
    ...(input.maxEnvelopeBytes === undefined ? {} : { maxEnvelopeBytes: input.maxEnvelopeBytes }),
    provider,
  });
  const result: Json = {
    envelope: toHex(out.envelope),
    enc: toHex(out.enc),
    sharedSecret: toHex(out.sharedSecret),
    key: toHex(out.key),
    baseNonce: toHex(out.baseNonce),
    nonce: toHex(out.nonce),
    aad: toHex(out.aad),
  };
  // The vectors record the AEAD plaintext only up to 4096 bytes.
  if (out.sealedPlaintext.length <= 4096) result.sealedPlaintext = toHex(out.sealedPlaintext);
  return result;
}

function opener(input: Json, store: MemoryReplayStore, provider: CryptoProvider): EnvelopeOpener {
  const senders = (input.senderPublicKeys as string[]).map(hex);
  const options: EnvelopeOpenerOptions = {
    identities: (input.recipientSecretKeys as string[]).map((key) => keyPairFromSecretKey(hex(key), provider)),
    resolveSender: () => senders,
    provider,
    replayStore: store,
  };
  if (input.topicMap !== undefined) options.topicMap = input.topicMap;
  if (input.maxEnvelopeBytes !== undefined) options.maxEnvelopeBytes = input.maxEnvelopeBytes;
  if (input.replayWindow !== undefined) options.replayWindow = input.replayWindow;
  return new EnvelopeOpener(options);
}

function open(input: Json, provider: CryptoProvider): Json {
  const opened = opener(input, new MemoryReplayStore(), provider).open(input.topic, hex(input.envelope));
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
}

function sequence(input: Json, provider: CryptoProvider): Json {
  const store = new MemoryReplayStore();
  let receiver = opener(input, store, provider);
  const results = (input.steps as Json[]).map((step) => {
    if (step.action === 'restart') {
      receiver = opener(input, store, provider);
      return { restarted: true };
    }
    return outcome(() => {
      const opened = receiver.open(step.topic, hex(step.envelope));
      return { seq: opened.seq.toString(), plaintext: toHex(opened.plaintext) };
    });
  });
  return { results };
}

/** Validates map, topic and result as spec/envelope-v1.md section 7.1 requires, and returns the bound topic. */
function boundTopic(topic: string, topicMap: readonly TopicMapping[]): string {
  const map = compileTopicMap(topicMap);
  encodeTopicName(topic, 'topic');
  const bound = canonicalTopic(topic, map);
  encodeTopicName(bound, 'topic after topicMap');
  return bound;
}

function run(c: Case, provider: CryptoProvider): Json {
  return outcome(() => {
    switch (c.op) {
      case 'key-id':
        return { keyId: keyIdHex(hex(c.input.publicKey)) };
      case 'seal':
        return seal(c.input, provider);
      case 'open':
        return open(c.input, provider);
      case 'sequence':
        return sequence(c.input, provider);
      case 'classify':
        return { kind: classifyPayload(hex(c.input.payload)) };
      case 'canonical-topic':
        return { topic: boundTopic(c.input.topic, c.input.topicMap) };
      default:
        throw new Error(`unknown op ${c.op} in ${c.id}`);
    }
  });
}

describe('envelope vector file', () => {
  it('holds keys and cases', () => {
    expect(file.cases.length).toBeGreaterThan(300);
    for (const key of Object.values(file.keys)) {
      expect(toHex(keyPairFromSecretKey(hex(key.secretKey)).publicKey)).toBe(key.publicKey);
      expect(keyIdHex(hex(key.publicKey))).toBe(key.keyId);
    }
  });
});

describe.each(providers)('envelope vectors with $name', (provider) => {
  const byOp = new Map<string, Case[]>();
  for (const c of file.cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

  it.each([...byOp.keys()])('every %s case', (op) => {
    const cases = byOp.get(op)!;
    for (const c of cases) expect(run(c, provider), c.id).toEqual(c.expected);
    expect(cases.length).toBeGreaterThan(3);
  });
});
