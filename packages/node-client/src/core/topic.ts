/** Topic name and topic filter checks (MQTT 5.0 section 4.7, MQTT 3.1.1 section 4.7). */
import { InvalidOptionError, OptionRangeError } from './errors.js';

const utf8 = new TextEncoder();

/** Maximum encoded length of a topic (MQTT 5.0 section 1.5.4: a UTF-8 string has a 16-bit length). */
const MAX_TOPIC_BYTES = 65_535;

/**
 * Checks a topic name for publishing. Wildcards are rejected because a publish names one topic
 * (MQTT 5.0 section 4.7.1), and the empty topic because the envelope binds the topic into the AAD.
 */
export function checkTopicName(topic: unknown, option: string): string {
  if (typeof topic !== 'string') throw new InvalidOptionError(option, 'a topic string', topic);
  if (topic.length === 0) throw new OptionRangeError(option, 'a non-empty topic', topic);
  if (topic.includes('+') || topic.includes('#')) {
    throw new OptionRangeError(option, "a topic name without the wildcards '+' and '#'", topic);
  }
  checkTopicText(topic, option);
  return topic;
}

/** Checks one or more topic filters for subscribing. */
export function checkTopicFilters(topics: unknown, option: string): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidOptionError(
      option,
      'a topic filter string or a non-empty array of them',
      topics,
    );
  }
  list.forEach((filter: unknown, index) => {
    const name = Array.isArray(topics) ? `${option}[${index}]` : option;
    if (typeof filter !== 'string') {
      throw new InvalidOptionError(name, 'a topic filter string', filter);
    }
    if (filter.length === 0) {
      throw new OptionRangeError(name, 'a non-empty topic filter (MQTT 5.0 section 4.7.3)', filter);
    }
    checkTopicText(filter, name);
    if (!isValidFilter(filter)) {
      throw new OptionRangeError(
        name,
        "a valid topic filter ('+' fills a whole level, '#' only as the last level)",
        filter,
      );
    }
  });
  return list as string[];
}

/**
 * Returns true when the wildcards of `filter` are placed as MQTT 5.0 section 4.7.1 requires: '+'
 * fills a whole level, and '#' fills the last level.
 */
function isValidFilter(filter: string): boolean {
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level === '+') return true;
    if (level === '#') return index === levels.length - 1;
    return !level.includes('+') && !level.includes('#');
  });
}

function checkTopicText(topic: string, option: string): void {
  if (topic.includes('\u0000')) {
    throw new OptionRangeError(
      option,
      'a topic without the NUL character (MQTT 5.0 section 4.7.3)',
      topic,
    );
  }
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes, so short topics need no encoding.
  if (topic.length * 3 <= MAX_TOPIC_BYTES) return;
  const length = utf8.encode(topic).length;
  if (length > MAX_TOPIC_BYTES) {
    throw new OptionRangeError(option, `a topic of at most ${MAX_TOPIC_BYTES} UTF-8 bytes`, topic);
  }
}

/**
 * Returns true when `topic` matches `filter` (MQTT 5.0 section 4.7). A shared subscription
 * '$share/{group}/{filter}' matches like its filter (section 4.8.2). Wildcards at the first level do
 * not match topics starting with '$' (section 4.7.2).
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = stripSharePrefix(filter).split('/');
  const topicLevels = topic.split('/');
  const dollarTopic = topic.startsWith('$');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return !(i === 0 && dollarTopic);
    if (i >= topicLevels.length) return false;
    if (level === '+') {
      if (i === 0 && dollarTopic) return false;
      continue;
    }
    if (level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

function stripSharePrefix(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const groupEnd = filter.indexOf('/', '$share/'.length);
  return groupEnd === -1 ? filter : filter.slice(groupEnd + 1);
}
