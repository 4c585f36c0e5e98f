/** Seal cases: positive cases for every field, padding bucket and sequence edge, and rejected inputs. */
import { DEFAULT_PADDING_BUCKETS } from '@mqtt-e2ee/envelope';
import { bytesHex, ikm, LOW_ORDER_POINTS, nonCanonicalPoints, pk, sk } from './context.js';
import type { SealInput, VectorCase } from './format.js';
import { utf8Hex } from './hex.js';
import { runSeal } from './run.js';

/** The envelope that most open cases start from. */
export const BASE_SEAL: SealInput = {
  senderSecretKey: sk('alice'),
  recipientPublicKey: pk('bob'),
  ikmE: ikm('base'),
  seq: '0',
  topic: 'plant/line-1/temperature',
  plaintext: utf8Hex('21.5 C'),
};

/** Sequence numbers at the edges of the uint64 field and of common integer widths. */
export const SEQ_EDGES: readonly bigint[] = [
  0n,
  1n,
  2n,
  255n,
  256n,
  65535n,
  65536n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n + 1n,
  2n ** 63n,
  2n ** 64n - 2n,
  2n ** 64n - 1n,
];

function sealCase(id: string, description: string, input: SealInput): VectorCase {
  return { id: `seal/${id}`, op: 'seal', description, input, expected: runSeal(input) };
}

function fieldCases(): VectorCase[] {
  return [
    sealCase('basic', 'Alice seals a short message to Bob at seq 0.', BASE_SEAL),
    sealCase('empty-plaintext', 'An empty plaintext gives the smallest envelope, 76 bytes.', { ...BASE_SEAL, ikmE: ikm('empty'), plaintext: '' }),
    sealCase('binary-plaintext', 'Plaintext with every byte value 0x00 to 0xff.', {
      ...BASE_SEAL,
      ikmE: ikm('binary'),
      plaintext: Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''),
    }),
    sealCase('rotated-recipient', "Alice seals to Bob's next key; the recipient key id names that key.", {
      ...BASE_SEAL,
      recipientPublicKey: pk('bobNext'),
      ikmE: ikm('rotated'),
    }),
    sealCase('second-sender', 'Dave seals to Bob.', { ...BASE_SEAL, senderSecretKey: sk('dave'), ikmE: ikm('dave') }),
    sealCase('padding-none', "padding 'none' is the same as no padding: flags 0x00.", { ...BASE_SEAL, ikmE: ikm('padding-none'), padding: 'none' }),
  ];
}

function seqCases(): VectorCase[] {
  // One session (one ikmE) seals at every edge, so the cases share key and base nonce.
  return SEQ_EDGES.map((seq) =>
    sealCase(`seq-${seq}`, `Sequence number ${seq} in the uint64 field and in the nonce.`, {
      ...BASE_SEAL,
      ikmE: ikm('seq-edges'),
      seq: seq.toString(),
      plaintext: utf8Hex(`seq ${seq}`),
    }),
  );
}

function topicCases(): VectorCase[] {
  const topics: [string, string, string][] = [
    ['utf8', 'häuser/küche/temperatur', 'Non-ASCII topic: the AAD holds its UTF-8 bytes and their count.'],
    ['one-char', 'x', 'One-character topic.'],
    ['slash-only', '/', 'Topic of one level separator.'],
    ['empty-levels', 'a//b/', 'Empty topic levels are part of the name.'],
    ['spaces', 'a b/c d', 'Spaces are ordinary characters.'],
    ['dollar', '$devices/42/state', "A topic starting with '$'."],
    ['max-length', 'a'.repeat(65535), 'The longest topic, 65535 UTF-8 bytes, length field 0xffff.'],
  ];
  const cases = topics.map(([id, topic, description]) =>
    sealCase(`topic-${id}`, description, { ...BASE_SEAL, ikmE: ikm(`topic-${id}`), topic }),
  );
  cases.push(
    sealCase('topic-map', "topicMap rewrites 'site-a/' to 'plant/' before the topic is bound.", {
      ...BASE_SEAL,
      ikmE: ikm('topic-map'),
      topic: 'site-a/line-1/temperature',
      topicMap: [{ local: 'site-a/', canonical: 'plant/' }],
    }),
  );
  return cases;
}

function paddingCases(): VectorCase[] {
  const cases: VectorCase[] = [];
  // Every default bucket filled exactly: message length bucket - 1, plus the 0x80 marker.
  for (const bucket of DEFAULT_PADDING_BUCKETS) {
    cases.push(
      sealCase(`padding-buckets-fill-${bucket}`, `Default buckets: ${bucket - 1} bytes fill the ${bucket}-byte bucket.`, {
        ...BASE_SEAL,
        ikmE: ikm(`padding-${bucket}`),
        plaintext: bytesHex(bucket - 1, `padding-${bucket}`),
        padding: 'buckets',
      }),
    );
  }
  cases.push(
    sealCase('padding-buckets-empty', 'Default buckets: an empty message takes the 32-byte bucket.', {
      ...BASE_SEAL,
      ikmE: ikm('padding-empty'),
      plaintext: '',
      padding: 'buckets',
    }),
    sealCase('padding-buckets-next', 'Default buckets: 32 bytes need 33 with the marker, so the 64-byte bucket.', {
      ...BASE_SEAL,
      ikmE: ikm('padding-next'),
      plaintext: bytesHex(32, 'padding-next'),
      padding: 'buckets',
    }),
    sealCase('padding-buckets-beyond', 'Default buckets: 65536 bytes exceed the largest bucket and round up to 131072.', {
      ...BASE_SEAL,
      ikmE: ikm('padding-beyond'),
      plaintext: bytesHex(65536, 'padding-beyond'),
      padding: 'buckets',
    }),
  );
  for (const length of [0, 15, 16, 31, 32, 47, 64, 95]) {
    cases.push(
      sealCase(`padding-custom-${length}`, `Buckets [16, 32]: a ${length}-byte message.`, {
        ...BASE_SEAL,
        ikmE: ikm(`padding-custom-${length}`),
        plaintext: bytesHex(length, `padding-custom-${length}`),
        padding: [16, 32],
      }),
    );
  }
  cases.push(
    sealCase('padding-trailing-zeros', 'A message that itself ends in 0x80 0x00 keeps those bytes.', {
      ...BASE_SEAL,
      ikmE: ikm('padding-trailing'),
      plaintext: '41800000',
      padding: [16, 32],
    }),
  );
  return cases;
}

function rejectedCases(): VectorCase[] {
  const cases: VectorCase[] = [];
  for (const [name, point] of Object.entries(LOW_ORDER_POINTS)) {
    cases.push(sealCase(`reject-low-order-${name}`, `Recipient key ${name} has low order: X25519 yields all zeros.`, {
      ...BASE_SEAL,
      recipientPublicKey: point,
    }));
  }
  for (const [name, point] of Object.entries(nonCanonicalPoints(pk('bob')))) {
    cases.push(sealCase(`reject-non-canonical-${name}`, `Recipient key ${name} is not a canonical encoding.`, {
      ...BASE_SEAL,
      recipientPublicKey: point,
    }));
  }
  const invalid: [string, string, Partial<SealInput>][] = [
    ['empty-topic', 'An empty topic: resolve a topic alias first.', { topic: '' }],
    ['wildcard-plus', "A topic name with '+'.", { topic: 'plant/+/temperature' }],
    ['wildcard-hash', "A topic name with '#'.", { topic: 'plant/#' }],
    ['topic-too-long', 'A topic of 65536 UTF-8 bytes.', { topic: 'a'.repeat(65536) }],
    ['lone-surrogate-topic', 'A topic with the unpaired surrogate U+D800, which has no UTF-8 encoding.', { topic: 'plant/\ud800' }],
    ['recipient-key-31-bytes', 'A 31-byte recipient key: the length check comes before the canonical check.', { recipientPublicKey: 'ff'.repeat(31) }],
    ['recipient-key-33-bytes', 'A 33-byte recipient key whose first 32 bytes are not canonical: still an invalid argument.', { recipientPublicKey: 'ff'.repeat(33) }],
    ['padding-not-increasing', 'A bucket list that repeats a size.', { padding: [32, 32] }],
    ['padding-decreasing', 'A bucket list that decreases.', { padding: [64, 32] }],
    ['padding-zero-bucket', 'A bucket of size 0.', { padding: [0, 32] }],
    ['padding-empty-list', 'An empty bucket list.', { padding: [] }],
    ['extra-flags-256', 'extraFlags above one byte.', { extraFlags: 256 }],
    ['seq-2^64', 'Sequence number 2^64 does not fit the uint64 field.', { seq: (2n ** 64n).toString() }],
    ['short-ikme', 'ikmE shorter than 32 bytes (RFC 9180 DeriveKeyPair).', { ikmE: '00'.repeat(31) }],
    ['too-large', 'maxEnvelopeBytes 100: a 25-byte message needs 101 bytes.', { plaintext: bytesHex(25, 'large'), maxEnvelopeBytes: 100 }],
    ['too-large-padded', 'maxEnvelopeBytes 200: 64 bytes pad to 128, so 204 bytes.', { plaintext: bytesHex(64, 'large'), padding: 'buckets', maxEnvelopeBytes: 200 }],
  ];
  for (const [id, description, change] of invalid) {
    cases.push(sealCase(`reject-${id}`, description, { ...BASE_SEAL, ...change }));
  }
  cases.push(
    sealCase('extra-flags-padded-bit', 'extraFlags 0x01 sets the padding flag without padding: the plaintext has no 0x80 marker.', {
      ...BASE_SEAL,
      ikmE: ikm('extra-flags-01'),
      plaintext: '00'.repeat(16),
      extraFlags: 0x01,
    }),
    sealCase('extra-flags-reserved-bit', 'extraFlags 0x02 sets a reserved flag bit, so receivers reject the envelope.', {
      ...BASE_SEAL,
      ikmE: ikm('extra-flags-02'),
      extraFlags: 0x02,
    }),
    sealCase('extra-flags-with-padding', 'extraFlags 0x01 with bucket padding: the flags byte is 0x01 and the plaintext padded.', {
      ...BASE_SEAL,
      ikmE: ikm('extra-flags-padded'),
      padding: [16, 32],
      extraFlags: 0x01,
    }),
    sealCase('fits-limit', 'maxEnvelopeBytes 100: a 24-byte message gives exactly 100 bytes.', {
      ...BASE_SEAL,
      ikmE: ikm('fits'),
      plaintext: bytesHex(24, 'fits'),
      maxEnvelopeBytes: 100,
    }),
  );
  return cases;
}

export function sealCases(): VectorCase[] {
  return [...fieldCases(), ...seqCases(), ...topicCases(), ...paddingCases(), ...rejectedCases()];
}
