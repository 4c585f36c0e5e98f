/**
 * Topic layout of key exchange under a configurable prefix (spec/key-exchange-v1.md, "Topics").
 *
 *   PREFIX/keys/CLIENT                       retained key announcement of CLIENT
 *   PREFIX/revocations/CLIENT/KEYID          retained revocation of one key of CLIENT
 *   PREFIX/inbox/MEMBER/SENDER/GROUP         retained group key message from SENDER to MEMBER
 *   PREFIX/discover                          requests to re-publish, for brokers without retain
 */

/** Default topic prefix. */
export const DEFAULT_PREFIX = 'e2ee/v1';

/** Client ids and group ids: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'. */
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** Pattern that client ids and group ids must match. */
export const NAME_REGEXP = NAME_PATTERN;

/**
 * Checks a client id or group id. The character set is limited so that every id is one topic
 * level, contains no MQTT wildcard and maps to a NATS subject token unchanged.
 */
export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${field} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  if (!NAME_PATTERN.test(value) || value === '.' || value === '..') {
    throw new RangeError(
      `${field} must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-', got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value;
}

/** Checks a topic prefix: non-empty levels without wildcards, not starting with '$' or '/'. */
export function checkPrefix(value: unknown): string {
  if (typeof value !== 'string') {
    throw new TypeError(`prefix must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  const levels = value.split('/');
  const bad =
    value.length === 0 ||
    value.length > 200 ||
    value.startsWith('$') ||
    levels.some((level) => level === '' || /[+#\u0000-\u001f]/u.test(level));
  if (bad) {
    throw new RangeError(
      `prefix must be topic levels without '+', '#', empty levels or a leading '$', such as "e2ee/v1", got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value;
}

/** Topic of the key announcement of `clientId`. */
export function announcementTopic(prefix: string, clientId: string): string {
  return `${checkPrefix(prefix)}/keys/${checkName(clientId, 'clientId')}`;
}

/** Topic of the revocation of key `keyId` of `clientId`. */
export function revocationTopic(prefix: string, clientId: string, keyId: string): string {
  if (!KEY_ID_PATTERN.test(keyId)) throw new RangeError(`keyId must be 16 lowercase hex characters, got ${JSON.stringify(keyId)}`);
  return `${checkPrefix(prefix)}/revocations/${checkName(clientId, 'clientId')}/${keyId}`;
}

/** Topic on which `sender` leaves the keys of group `groupId` for `member`. */
export function inboxTopic(prefix: string, member: string, sender: string, groupId: string): string {
  return `${checkPrefix(prefix)}/inbox/${checkName(member, 'member')}/${checkName(sender, 'sender')}/${checkName(groupId, 'groupId')}`;
}

/** Topic on which clients ask peers to publish their records again, when the broker has no retained messages. */
export function discoveryTopic(prefix: string): string {
  return `${checkPrefix(prefix)}/discover`;
}

/** Topic filters a client subscribes to for key exchange. */
export function controlFilters(prefix: string, clientId: string): string[] {
  const checked = checkPrefix(prefix);
  return [`${checked}/keys/+`, `${checked}/revocations/#`, `${checked}/inbox/${checkName(clientId, 'clientId')}/#`];
}

/** A topic of the key exchange layout, parsed. */
export type ControlTopic =
  | { kind: 'announcement'; clientId: string }
  | { kind: 'revocation'; clientId: string; keyId: string }
  | { kind: 'inbox'; member: string; sender: string; groupId: string }
  | { kind: 'discover' };

/** Parses a topic under `prefix`, or returns undefined for any other topic. */
export function parseControlTopic(prefix: string, topic: string): ControlTopic | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const levels = topic.slice(prefix.length + 1).split('/');
  const valid = (name: string | undefined): name is string => name !== undefined && NAME_PATTERN.test(name);
  const [kind, a, b, c] = levels;
  if (kind === 'keys' && levels.length === 2 && valid(a)) return { kind: 'announcement', clientId: a };
  if (kind === 'revocations' && levels.length === 3 && valid(a) && b !== undefined && KEY_ID_PATTERN.test(b)) {
    return { kind: 'revocation', clientId: a, keyId: b };
  }
  if (kind === 'inbox' && levels.length === 4 && valid(a) && valid(b) && valid(c)) {
    return { kind: 'inbox', member: a, sender: b, groupId: c };
  }
  if (kind === 'discover' && levels.length === 1) return { kind: 'discover' };
  return undefined;
}

/**
 * Returns whether `topic` matches the MQTT topic filter `filter` (MQTT 5.0 section 4.7). '+'
 * matches one level, and a final '#' matches the parent level and any levels below it.
 * Wildcards at the first level do not match topics that start with '$'.
 */
export function topicMatchesFilter(topic: string, filter: string): boolean {
  const topicLevels = topic.split('/');
  const filterLevels = filter.split('/');
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index];
    if (level === '#') return index === filterLevels.length - 1;
    if (index >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[index]) return false;
  }
  return topicLevels.length === filterLevels.length;
}

/** Checks an MQTT topic filter: non-empty, '#' only as the last level, wildcards only as whole levels. */
export function checkTopicFilter(filter: unknown, field: string): string {
  if (typeof filter !== 'string' || filter.length === 0) {
    throw new TypeError(`${field} must be a non-empty topic filter string, got ${JSON.stringify(filter)}`);
  }
  const levels = filter.split('/');
  levels.forEach((level, index) => {
    const wildcardMisplaced =
      (level.includes('#') && (level !== '#' || index !== levels.length - 1)) || (level.includes('+') && level !== '+');
    if (wildcardMisplaced || level.includes('\u0000')) {
      throw new RangeError(`${field} ${JSON.stringify(filter)} is not a valid topic filter: wildcards must fill a whole level and '#' must be last`);
    }
  });
  return filter;
}
