import { UsageError } from './errors.js';

/** Largest topic length in bytes, because MQTT prefixes a string with a 16-bit length. */
const MAX_TOPIC_BYTES = 65535;

function checkCommon(flag: string, topic: string, kind: string): void {
  if (topic === '') throw new UsageError(`invalid ${kind} for ${flag}: it is empty; pass at least one character`);
  if (topic.includes('\u0000')) {
    throw new UsageError(`invalid ${kind} for ${flag}: it contains a NUL character, which MQTT does not allow`);
  }
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) {
    throw new UsageError(`invalid ${kind} for ${flag}: it is longer than ${MAX_TOPIC_BYTES} bytes`);
  }
}

/** Checks a topic name to publish to. MQTT allows the wildcards + and # only in topic filters. */
export function checkTopicName(flag: string, topic: string): string {
  checkCommon(flag, topic, 'topic');
  if (topic.includes('+') || topic.includes('#')) {
    throw new UsageError(
      `invalid topic for ${flag}: '${topic}' contains a wildcard (+ or #), which only subscriptions may use`,
    );
  }
  return topic;
}

/** Checks a topic filter to subscribe to: `#` only as a whole last level, `+` only as a whole level. */
export function checkTopicFilter(flag: string, filter: string): string {
  checkCommon(flag, filter, 'topic filter');
  const levels = filter.split('/');
  levels.forEach((level, index) => {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      throw new UsageError(`invalid topic filter for ${flag}: '${filter}' uses '#' other than as the whole last level`);
    }
    if (level.includes('+') && level !== '+') {
      throw new UsageError(`invalid topic filter for ${flag}: '${filter}' uses '+' other than as a whole level`);
    }
  });
  return filter;
}
