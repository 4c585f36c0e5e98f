/** Key id, payload classification and topic mapping cases. */
import { describeKeys } from './context.js';
import type { CanonicalTopicInput, VectorCase } from './format.js';
import { utf8Hex } from './hex.js';
import { runCanonicalTopic, runClassify, runKeyId } from './run.js';

export function keyIdCases(): VectorCase[] {
  const keys = Object.entries(describeKeys()).map(([name, key]): [string, string] => [name, key.publicKey]);
  // Alice's public key from RFC 7748 section 6.1, the example of the spec.
  keys.push(['rfc7748-alice', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a']);
  const cases: VectorCase[] = keys.map(([name, publicKey]) => {
    const input = { publicKey };
    return { id: `key-id/${name}`, op: 'key-id', description: `Key id of ${name}'s public key.`, input, expected: runKeyId(input) };
  });
  for (const length of [31, 33]) {
    const input = { publicKey: 'ff'.repeat(length) };
    const description = `A ${length}-byte public key is an invalid argument, whatever its bytes.`;
    cases.push({ id: `key-id/reject-length-${length}`, op: 'key-id', description, input, expected: runKeyId(input) });
  }
  return cases;
}

export function classifyCases(): VectorCase[] {
  const payloads: [string, string, string][] = [
    ['empty', '', 'A zero-length payload deletes a retained message.'],
    ['version-1', '0101010000', 'First byte 0x01 is an envelope of version 1.'],
    ['version-2', '02', 'First byte 0x02 is a later envelope version.'],
    ['version-0x1f', '1f00', 'First byte 0x1f is the last byte reserved for versions.'],
    ['zero', '00', 'First byte 0x00 is no envelope.'],
    ['space', '20', 'First byte 0x20 is no envelope.'],
    ['json', utf8Hex('{"t":1}'), 'JSON text is no envelope.'],
    ['high', 'ff01', 'First byte 0xff is no envelope.'],
  ];
  return payloads.map(([id, payload, description]) => {
    const input = { payload };
    return { id: `classify/${id}`, op: 'classify', description, input, expected: runClassify(input) };
  });
}

export function topicMapCases(): VectorCase[] {
  const map = [
    { local: 'site-a/', canonical: 'plant/' },
    { local: 'site-a/vip/', canonical: 'plant/priority/' },
    { local: 'edge', canonical: '' },
  ];
  const topics: [string, string][] = [
    ['prefix', 'site-a/line-1'],
    ['longest-prefix', 'site-a/vip/line-1'],
    ['empty-canonical', 'edge/line-1'],
    ['no-match', 'site-b/line-1'],
    ['prefix-only-partial', 'site-a'],
  ];
  const mapped = topics.map(([id, topic]): VectorCase => {
    const input: CanonicalTopicInput = { topic, topicMap: map };
    return { id: `canonical-topic/${id}`, op: 'canonical-topic', description: `Map '${topic}'.`, input, expected: runCanonicalTopic(input) };
  });
  return [...mapped, ...topicMapRejections(map)];
}

/** Topic maps, topics and bound topics that the canonical-topic op rejects with ERR_INVALID_ARGUMENT. */
function topicMapRejections(map: CanonicalTopicInput['topicMap']): VectorCase[] {
  const topic = 'site-a/line-1';
  const rejected: [string, string, CanonicalTopicInput][] = [
    ['empty-result', "Topic 'edge' maps to the empty string, which is no topic name.", { topic: 'edge', topicMap: map }],
    ['empty-local', 'A mapping with an empty local prefix.', { topic, topicMap: [{ local: '', canonical: 'plant/' }] }],
    ['repeated-local', 'Two mappings with the same local prefix.', {
      topic,
      topicMap: [{ local: 'site-a/', canonical: 'plant/' }, { local: 'site-a/', canonical: 'other/' }],
    }],
    ['plus-in-local', "A local prefix with '+'.", { topic, topicMap: [{ local: 'site-+/', canonical: 'plant/' }] }],
    ['hash-in-canonical', "A canonical prefix with '#'.", { topic, topicMap: [{ local: 'site-a/', canonical: 'plant/#' }] }],
    ['nul-in-canonical', 'A canonical prefix with U+0000.', { topic, topicMap: [{ local: 'site-a/', canonical: 'plant\u0000/' }] }],
    ['wildcard-topic', "The topic itself contains '+'.", { topic: 'site-a/+', topicMap: map }],
    ['empty-topic', 'The topic itself is empty.', { topic: '', topicMap: map }],
    ['lone-surrogate-topic', 'The topic contains the unpaired surrogate U+D800, which has no UTF-8 encoding.', { topic: 'site-a/\ud800', topicMap: map }],
  ];
  return rejected.map(([id, description, input]): VectorCase => ({
    id: `canonical-topic/reject-${id}`,
    op: 'canonical-topic',
    description,
    input,
    expected: runCanonicalTopic(input),
  }));
}
