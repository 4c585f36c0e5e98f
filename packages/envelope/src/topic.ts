/**
 * Topic names bound into the AAD, and the prefix mapping for bridges that rewrite topics
 * (spec/envelope-v1.md, "Topics").
 */
import { checkString, utf8 } from './bytes.js';

/** Largest topic length in UTF-8 bytes, because the AAD stores it as a uint16 (MQTT 5.0 section 1.5.4). */
export const MAX_TOPIC_BYTES = 0xffff;

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks that `topic` is a valid MQTT topic name for a PUBLISH and returns its UTF-8 bytes: 1 to
 * 65535 bytes, no wildcard '+' or '#', no U+0000 and no unpaired surrogate (MQTT 5.0 sections
 * 1.5.4 and 4.7). Raises TypeError or RangeError naming `field`.
 */
export function encodeTopicName(value: unknown, field = 'topic'): Uint8Array {
  const topic = checkString(value, field);
  if (topic.length === 0) {
    throw new RangeError(`${field} must not be empty: resolve an MQTT 5 topic alias to its topic name first`);
  }
  if (topic.includes('+') || topic.includes('#')) {
    throw new RangeError(`${field} must not contain the wildcards '+' or '#', got "${topic}": pass the topic name of the PUBLISH`);
  }
  if (topic.includes('\u0000')) throw new RangeError(`${field} must not contain U+0000`);
  if (LONE_SURROGATE.test(topic)) {
    throw new RangeError(`${field} must be well-formed UTF-16 without unpaired surrogates, because it is bound as UTF-8`);
  }
  const bytes = utf8(topic);
  if (bytes.length > MAX_TOPIC_BYTES) {
    throw new RangeError(`${field} must be at most ${MAX_TOPIC_BYTES} UTF-8 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * One prefix rewrite of a bridge: a topic that starts with `local` on this side of the bridge is
 * bound as `canonical` + the rest of the topic.
 */
export interface TopicMapping {
  /** Prefix of the topic as this client publishes or receives it. Not empty. */
  local: string;
  /** Prefix that replaces `local` in the topic bound into the AAD. May be empty. */
  canonical: string;
}

/** A validated list of mappings, sorted longest `local` prefix first. */
export type TopicMap = readonly Readonly<TopicMapping>[];

/**
 * Validates mappings and returns a copy sorted by descending `local` length, so that the longest
 * matching prefix wins. Raises TypeError or RangeError for an empty or duplicate `local` prefix or
 * a prefix with a wildcard.
 */
export function compileTopicMap(mappings: unknown, field = 'topicMap'): TopicMap {
  if (!Array.isArray(mappings)) throw new TypeError(`${field} must be an array of { local, canonical }, got ${typeof mappings}`);
  const seen = new Set<string>();
  const compiled = mappings.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) {
      throw new TypeError(`${field}[${i}] must be an object { local, canonical }, got ${entry === null ? 'null' : typeof entry}`);
    }
    const { local, canonical } = entry as Partial<TopicMapping>;
    checkPrefix(local, `${field}[${i}].local`);
    checkPrefix(canonical, `${field}[${i}].canonical`);
    if (local.length === 0) throw new RangeError(`${field}[${i}].local must not be empty`);
    if (seen.has(local)) throw new RangeError(`${field}[${i}].local "${local}" appears twice: each local prefix maps to one canonical prefix`);
    seen.add(local);
    return Object.freeze({ local, canonical });
  });
  return Object.freeze(compiled.sort((a, b) => b.local.length - a.local.length));
}

function checkPrefix(value: unknown, field: string): asserts value is string {
  const prefix = checkString(value, field);
  if (prefix.includes('+') || prefix.includes('#') || prefix.includes('\u0000')) {
    throw new RangeError(`${field} must not contain '+', '#' or U+0000, got "${prefix}"`);
  }
}

/**
 * Maps a local topic name to the canonical topic name bound into the AAD: the mapping with the
 * longest `local` prefix of `topic` replaces that prefix with its `canonical` prefix. A topic
 * that matches no mapping is returned unchanged. Prefixes compare as plain strings, as bridge
 * prefixes do in Mosquitto.
 */
export function canonicalTopic(topic: string, topicMap: TopicMap | readonly TopicMapping[]): string {
  checkString(topic, 'topic');
  let best: TopicMapping | undefined;
  for (const mapping of topicMap) {
    if (topic.startsWith(mapping.local) && (best === undefined || mapping.local.length > best.local.length)) {
      best = mapping;
    }
  }
  return best === undefined ? topic : best.canonical + topic.slice(best.local.length);
}
