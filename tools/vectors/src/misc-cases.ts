/** Key id, payload classification and topic mapping cases. */
import { describeKeys } from './context.js';
import type { CanonicalTopicInput, VectorCase } from './format.js';
import { utf8Hex } from './hex.js';
import { runCanonicalTopic, runClassify, runKeyId } from './run.js';

export function keyIdCases(): VectorCase[] {
  const keys = Object.entries(describeKeys()).map(([name, key]): [string, string] => [name, key.publicKey]);
  // Alice's public key from RFC 7748 section 6.1, the example of the spec.
  keys.push(['rfc7748-alice', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a']);
  return keys.map(([name, publicKey]) => {
    const input = { publicKey };
    return { id: `key-id/${name}`, op: 'key-id', description: `Key id of ${name}'s public key.`, input, expected: runKeyId(input) };
  });
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
  return topics.map(([id, topic]) => {
    const input: CanonicalTopicInput = { topic, topicMap: map };
    return { id: `canonical-topic/${id}`, op: 'canonical-topic', description: `Map '${topic}'.`, input, expected: runCanonicalTopic(input) };
  });
}
