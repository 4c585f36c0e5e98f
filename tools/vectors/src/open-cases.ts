/** Open cases: accepted envelopes, and one negative case per failure class, each with its code. */
import { keyIdHex } from '@mqtt-e2ee/envelope';
import { BASE_SEAL } from './seal-cases.js';
import { bytesHex, flip, ikm, LOW_ORDER_POINTS, nonCanonicalPoints, parties, patch, pk, sealOk, sk } from './context.js';
import type { OpenInput, SealInput, VectorCase } from './format.js';
import { fromHex, utf8Hex } from './hex.js';
import { runOpen } from './run.js';

const BOB: Pick<OpenInput, 'recipientSecretKeys' | 'senderPublicKeys'> = {
  recipientSecretKeys: [sk('bob')],
  senderPublicKeys: [pk('alice')],
};

function openCase(id: string, description: string, input: OpenInput): VectorCase {
  return { id: `open/${id}`, op: 'open', description, input, expected: runOpen(input) };
}

function sealed(change: Partial<SealInput>): string {
  return sealOk({ ...BASE_SEAL, ...change }).envelope;
}

const base = sealed({});
const baseTopic = BASE_SEAL.topic;

function acceptedCases(): VectorCase[] {
  return [
    openCase('basic', 'Bob opens the basic envelope from Alice.', { ...BOB, topic: baseTopic, envelope: base }),
    openCase('empty-plaintext', 'A 76-byte envelope opens to an empty plaintext.', {
      ...BOB,
      topic: baseTopic,
      envelope: sealed({ ikmE: ikm('empty'), plaintext: '' }),
    }),
    openCase('seq-max', 'seq 2^64 - 1 opens.', {
      ...BOB,
      topic: baseTopic,
      envelope: sealed({ ikmE: ikm('seq-edges'), seq: (2n ** 64n - 1n).toString(), plaintext: utf8Hex('last') }),
    }),
    openCase('rotated-identities', "Bob holds his old and next key; the envelope is for the next key.", {
      ...BOB,
      recipientSecretKeys: [sk('bob'), sk('bobNext')],
      topic: baseTopic,
      envelope: sealed({ recipientPublicKey: pk('bobNext'), ikmE: ikm('rotated') }),
    }),
    openCase('several-senders', 'The receiver trusts Dave, Carol and Alice; the key id selects Alice.', {
      ...BOB,
      senderPublicKeys: [pk('dave'), pk('carol'), pk('alice')],
      topic: baseTopic,
      envelope: base,
    }),
    openCase('padded', 'A padded envelope opens to the message without padding.', {
      ...BOB,
      topic: baseTopic,
      envelope: sealed({ ikmE: ikm('padded-open'), plaintext: bytesHex(40, 'padded-open'), padding: 'buckets' }),
    }),
    openCase('padded-trailing-zeros', 'Padding removal keeps the message bytes 0x41 0x80 0x00 0x00.', {
      ...BOB,
      topic: baseTopic,
      envelope: sealed({ ikmE: ikm('padding-trailing'), plaintext: '41800000', padding: [16, 32] }),
    }),
    openCase('utf8-topic', 'Non-ASCII topic.', {
      ...BOB,
      topic: 'häuser/küche/temperatur',
      envelope: sealed({ ikmE: ikm('topic-utf8'), topic: 'häuser/küche/temperatur' }),
    }),
    openCase('topic-map-bridge', "Sealed on 'site-a/...' mapped to 'plant/', received as 'hq/site-a/...' mapped to 'plant/'.", {
      ...BOB,
      topicMap: [{ local: 'hq/site-a/', canonical: 'plant/' }],
      topic: 'hq/site-a/line-1/temperature',
      envelope: sealed({ ikmE: ikm('topic-map'), topic: 'site-a/line-1/temperature', topicMap: [{ local: 'site-a/', canonical: 'plant/' }] }),
    }),
    openCase('at-size-limit', 'maxEnvelopeBytes equal to the envelope length accepts it.', {
      ...BOB,
      maxEnvelopeBytes: fromHex(base).length,
      topic: baseTopic,
      envelope: base,
    }),
  ];
}

/** Bit flips at every offset of the base envelope: the low bit and the high bit of each byte. */
function bitFlipCases(): VectorCase[] {
  const cases: VectorCase[] = [];
  const length = fromHex(base).length;
  for (let offset = 0; offset < length; offset++) {
    for (const mask of [0x01, 0x80]) {
      cases.push(openCase(`flip-${offset}-0x${mask.toString(16).padStart(2, '0')}`, `Byte ${offset} XOR 0x${mask.toString(16)}.`, {
        ...BOB,
        topic: baseTopic,
        envelope: flip(base, offset, mask),
      }));
    }
  }
  return cases;
}

function truncationCases(): VectorCase[] {
  const length = fromHex(base).length;
  const lengths = [0, 1, 2, 3, 4, 12, 20, 52, 59, 60, 61, 75, 76, length - 1];
  const cases = lengths.map((cut) =>
    openCase(`truncated-${cut}`, `The base envelope cut to ${cut} bytes.`, { ...BOB, topic: baseTopic, envelope: base.slice(0, 2 * cut) }),
  );
  for (const [id, extra] of [['trailing-zero', '00'], ['trailing-marker', '80'], ['trailing-16', '00'.repeat(16)]] as const) {
    cases.push(openCase(id, `Bytes ${extra.slice(0, 8)}... appended: they become part of the ciphertext.`, {
      ...BOB,
      topic: baseTopic,
      envelope: base + extra,
    }));
  }
  return cases;
}

function headerCases(): VectorCase[] {
  const cases: VectorCase[] = [];
  const byteCase = (field: string, offset: number, value: number) =>
    openCase(`${field}-0x${value.toString(16).padStart(2, '0')}`, `${field} byte set to 0x${value.toString(16).padStart(2, '0')}.`, {
      ...BOB,
      topic: baseTopic,
      envelope: patch(base, offset, value.toString(16).padStart(2, '0')),
    });
  for (const value of [0x00, 0x02, 0x10, 0x1f, 0x20, 0x7b, 0xff]) cases.push(byteCase('version', 0, value));
  for (const value of [0x00, 0x02, 0xff]) cases.push(byteCase('suite', 1, value));
  for (const value of [0x00, 0x02, 0xff]) cases.push(byteCase('type', 2, value));
  for (const value of [0x01, 0x02, 0x80, 0xff]) cases.push(byteCase('flags', 3, value));
  cases.push(
    openCase('future-version-short', 'A 1-byte payload 0x02 is a later version, not a truncated v1 envelope.', { ...BOB, topic: baseTopic, envelope: '02' }),
    openCase('json-payload', 'Clear-text JSON on an encrypted topic.', { ...BOB, topic: baseTopic, envelope: utf8Hex('{"temperature":21.5}') }),
  );
  for (const [name, point] of Object.entries(LOW_ORDER_POINTS)) {
    cases.push(openCase(`enc-low-order-${name}`, `enc replaced by the low-order point ${name}.`, { ...BOB, topic: baseTopic, envelope: patch(base, 20, point) }));
  }
  const enc = base.slice(40, 104);
  for (const [name, point] of Object.entries(nonCanonicalPoints(enc))) {
    cases.push(openCase(`enc-non-canonical-${name}`, `enc replaced by the non-canonical encoding ${name}.`, { ...BOB, topic: baseTopic, envelope: patch(base, 20, point) }));
  }
  return cases;
}

function partyCases(): VectorCase[] {
  const forged = sealed({ senderSecretKey: sk('mallory'), ikmE: ikm('mallory') });
  const zeroKey = LOW_ORDER_POINTS['u=0'] as string;
  return [
    openCase('wrong-topic-level', 'Received on another topic.', { ...BOB, topic: 'plant/line-2/temperature', envelope: base }),
    openCase('wrong-topic-suffix', 'Received on the topic with a trailing slash.', { ...BOB, topic: `${baseTopic}/`, envelope: base }),
    openCase('wrong-topic-case', 'Topic names are case-sensitive.', { ...BOB, topic: 'Plant/line-1/temperature', envelope: base }),
    openCase('wrong-recipient', 'Carol cannot open an envelope addressed to Bob.', { ...BOB, recipientSecretKeys: [sk('carol')], topic: baseTopic, envelope: base }),
    openCase('recipient-id-rewritten', "The recipient key id is rewritten to Carol's, so Carol tries and fails.", {
      ...BOB,
      recipientSecretKeys: [sk('carol')],
      topic: baseTopic,
      envelope: patch(base, 12, keyIdHex(parties.carol.publicKey)),
    }),
    openCase('unknown-sender-empty', 'The receiver trusts no sender.', { ...BOB, senderPublicKeys: [], topic: baseTopic, envelope: base }),
    openCase('unknown-sender-other', 'The receiver trusts only Mallory.', { ...BOB, senderPublicKeys: [pk('mallory')], topic: baseTopic, envelope: base }),
    openCase('forged-sender-id', "Mallory seals to Bob and writes Alice's key id into the header.", {
      ...BOB,
      topic: baseTopic,
      envelope: patch(forged, 4, keyIdHex(parties.alice.publicKey)),
    }),
    openCase('untrusted-sender', 'Mallory seals honestly, but the receiver trusts only Alice.', { ...BOB, topic: baseTopic, envelope: forged }),
    openCase('sender-key-non-canonical', "The trusted key list holds Alice's key with bit 255 set.", {
      ...BOB,
      senderPublicKeys: [nonCanonicalPoints(pk('alice'))['valid-key-with-bit-255'] as string],
      topic: baseTopic,
      envelope: base,
    }),
    openCase('sender-key-non-canonical-other-id', "A non-canonical trusted key next to Alice's fails the lookup, although its key id differs.", {
      ...BOB,
      senderPublicKeys: [pk('alice'), 'ff'.repeat(32)],
      topic: baseTopic,
      envelope: base,
    }),
    openCase('sender-key-wrong-length', "A 33-byte trusted key next to Alice's is an invalid argument, checked before canonicality.", {
      ...BOB,
      senderPublicKeys: [pk('alice'), 'ff'.repeat(33)],
      topic: baseTopic,
      envelope: base,
    }),
    openCase('sender-keys-after-recipient', 'No identity matches, so the invalid trusted key is never examined.', {
      ...BOB,
      recipientSecretKeys: [sk('carol')],
      senderPublicKeys: ['ff'.repeat(32)],
      topic: baseTopic,
      envelope: base,
    }),
    openCase('sender-key-low-order', 'A trusted key of low order (u=0) whose key id the header claims.', {
      ...BOB,
      senderPublicKeys: [zeroKey],
      topic: baseTopic,
      envelope: patch(base, 4, keyIdHex(fromHex(zeroKey))),
    }),
  ];
}

function limitCases(): VectorCase[] {
  const padSeal = (plaintext: string) => sealed({ ikmE: ikm('bad-padding'), plaintext, extraFlags: 0x01 });
  const length = fromHex(base).length;
  return [
    openCase('too-large', 'maxEnvelopeBytes one below the envelope length.', { ...BOB, maxEnvelopeBytes: length - 1, topic: baseTopic, envelope: base }),
    openCase('padding-no-marker', 'Padding flag set, plaintext of 16 zero bytes: no 0x80 marker.', { ...BOB, topic: baseTopic, envelope: padSeal('00'.repeat(16)) }),
    openCase('padding-empty', 'Padding flag set, empty plaintext.', { ...BOB, topic: baseTopic, envelope: padSeal('') }),
    openCase('padding-data-after-marker', 'Padding flag set, plaintext 0x80 0x01: data after the marker.', { ...BOB, topic: baseTopic, envelope: padSeal('8001') }),
    openCase('empty-topic', 'An empty topic is a caller error: resolve the topic alias first.', { ...BOB, topic: '', envelope: base }),
  ];
}

export function openCases(): VectorCase[] {
  return [...acceptedCases(), ...bitFlipCases(), ...truncationCases(), ...headerCases(), ...partyCases(), ...limitCases()];
}
