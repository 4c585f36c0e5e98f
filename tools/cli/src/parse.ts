import { booleanValue, parseCommandLine, stringList, stringValue, type OptionTable, type ParsedValues } from './argv.js';
import { CONNECTION_OPTIONS, parseConnection, type ConnectionOptions } from './connection-options.js';
import { UsageError } from './errors.js';
import { KX_OPTIONS, checkClientId, parseKxFlags, type KxFlags } from './kx.js';
import { checkTopicFilter, checkTopicName } from './topic.js';
import { parseInteger, parseQos, parseSeconds, type Qos } from './values.js';

export type MessageSource =
  | { kind: 'message'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'stdin-lines' }
  | { kind: 'stdin-all' }
  | { kind: 'null' };

export interface PubOptions {
  connection: ConnectionOptions;
  /** Path of the sender's .key file. */
  identity: string;
  /** Recipient public keys: key lines or paths of .pub files, as given. */
  to: string[];
  topic: string;
  source: MessageSource;
  qos: Qos;
  retain: boolean;
  /** Key exchange settings, present with --client-id. Then --to may name client ids. */
  kx?: KxFlags;
  /** Group publish: one envelope per message for all members (needs key exchange). */
  group?: { id: string; members: string[]; sign: boolean };
}

export interface SubOptions {
  connection: ConnectionOptions;
  /** Path of the recipient's .key file. */
  identity: string;
  /** Accepted sender public keys: key lines or paths of .pub files, as given. */
  from: string[];
  topics: string[];
  qos: Qos;
  /** Exit after this many messages were printed. */
  count?: number;
  /** Exit after this many seconds. */
  timeoutSeconds?: number;
  verbose: boolean;
  noEol: boolean;
  hex: boolean;
  cleanSession: boolean;
  /** Key exchange settings, present with --client-id. Then --from is optional. */
  kx?: KxFlags;
}

export interface KeygenOptions {
  /** Output path without extension: writes NAME.key and NAME.pub. */
  out: string;
  force: boolean;
}

/** Result of parsing a subcommand: either its options or a request for its help text. */
export type Parsed<T> = { help: true } | { help: false; options: T };

export const PUB_OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string', short: 't', multiple: true },
  message: { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
  'stdin-line': { type: 'boolean', short: 'l' },
  'stdin-file': { type: 'boolean', short: 's' },
  'null-message': { type: 'boolean', short: 'n' },
  qos: { type: 'string', short: 'q' },
  retain: { type: 'boolean', short: 'r' },
  identity: { type: 'string' },
  to: { type: 'string', multiple: true },
  ...KX_OPTIONS,
  group: { type: 'string' },
  member: { type: 'string', multiple: true },
  sign: { type: 'boolean' },
} as const satisfies OptionTable;

export const SUB_OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string', short: 't', multiple: true },
  qos: { type: 'string', short: 'q' },
  count: { type: 'string', short: 'C' },
  verbose: { type: 'boolean', short: 'v' },
  timeout: { type: 'string', short: 'W' },
  'no-eol': { type: 'boolean', short: 'N' },
  hex: { type: 'boolean' },
  'disable-clean-session': { type: 'boolean', short: 'c' },
  identity: { type: 'string' },
  from: { type: 'string', multiple: true },
  ...KX_OPTIONS,
} as const satisfies OptionTable;

export const KEYGEN_OPTIONS = {
  out: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies OptionTable;

/** Parses the arguments of `mqtt-e2ee pub`; throws {@link UsageError} for a command line that cannot run. */
export function parsePubArgs(args: readonly string[]): Parsed<PubOptions> {
  if (args.includes('--help')) return { help: true };

  const values = parseCommandLine('pub', args, PUB_OPTIONS);
  const { connection, urlTopic } = parseConnection(values);

  const topics = stringList(values, 'topic');
  if (topics.length > 1) throw new UsageError('-t/--topic given more than once; pub sends to one topic');
  if (topics.length === 1 && urlTopic !== undefined) {
    throw new UsageError('the -L URL already sets the topic; drop -t, or drop the topic from the URL');
  }
  const topic = topics[0] ?? urlTopic;
  if (topic === undefined) {
    throw new UsageError('missing -t/--topic: pass the topic to publish to, e.g. -t sensors/room1, or end the -L URL with /TOPIC');
  }

  const kx = parseKxFlags(values);
  const group = parseGroup(values, kx);
  const options: PubOptions = {
    connection,
    identity: requireIdentity(values),
    to: kx === undefined ? requireKeys(values, 'to', 'recipient', 'bob.pub') : optionalKeys(values, 'to'),
    topic: checkTopicName(topics.length === 1 ? '-t/--topic' : '-L/--url', topic),
    source: parseSource(values),
    qos: parseQos('-q/--qos', stringValue(values, 'qos') ?? '0'),
    retain: booleanValue(values, 'retain'),
  };

  if (kx !== undefined && group === undefined && options.to.length === 0) {
    throw new UsageError('missing --to: pass the client id of each recipient, e.g. --to bob, or send to a group with --group and --member');
  }
  if (group !== undefined && options.to.length > 0) {
    throw new UsageError('--group and --to conflict: a group message goes to the --member clients; drop --to');
  }

  if (kx !== undefined) options.kx = kx;
  if (group !== undefined) options.group = group;
  return { help: false, options };
}

/** Parses the arguments of `mqtt-e2ee sub`; throws {@link UsageError} for a command line that cannot run. */
export function parseSubArgs(args: readonly string[]): Parsed<SubOptions> {
  if (args.includes('--help')) return { help: true };

  const values = parseCommandLine('sub', args, SUB_OPTIONS);
  const { connection, urlTopic } = parseConnection(values);

  const topics = stringList(values, 'topic').map((filter) => checkTopicFilter('-t/--topic', filter));
  if (urlTopic !== undefined) topics.unshift(checkTopicFilter('-L/--url', urlTopic));
  if (topics.length === 0) {
    throw new UsageError('missing -t/--topic: pass at least one topic filter, e.g. -t sensors/#, or end the -L URL with /FILTER');
  }

  const cleanSession = !booleanValue(values, 'disable-clean-session');
  if (!cleanSession && connection.clientId === undefined) {
    throw new UsageError('-c/--disable-clean-session needs a fixed client id; add -i CLIENT_ID');
  }

  const kx = parseKxFlags(values);
  const options: SubOptions = {
    connection,
    identity: requireIdentity(values),
    from: kx === undefined ? requireKeys(values, 'from', 'accepted sender', 'alice.pub') : optionalKeys(values, 'from'),
    topics,
    qos: parseQos('-q/--qos', stringValue(values, 'qos') ?? '0'),
    verbose: booleanValue(values, 'verbose'),
    noEol: booleanValue(values, 'no-eol'),
    hex: booleanValue(values, 'hex'),
    cleanSession,
  };
  if (kx !== undefined) options.kx = kx;

  const count = stringValue(values, 'count');
  if (count !== undefined) options.count = parseInteger('-C/--count', count, 1, Number.MAX_SAFE_INTEGER);
  const timeout = stringValue(values, 'timeout');
  if (timeout !== undefined) options.timeoutSeconds = parseSeconds('-W/--timeout', timeout);
  return { help: false, options };
}

/** Parses the arguments of `mqtt-e2ee keygen`. */
export function parseKeygenArgs(args: readonly string[]): Parsed<KeygenOptions> {
  if (args.includes('--help')) return { help: true };
  const values = parseCommandLine('keygen', args, KEYGEN_OPTIONS);
  const out = stringValue(values, 'out');
  if (out === undefined || out === '') {
    throw new UsageError('missing -o/--out: pass the output name, e.g. -o alice to write alice.key and alice.pub');
  }
  return { help: false, options: { out, force: booleanValue(values, 'force') } };
}

const SOURCE_FLAGS = [
  ['message', '-m'],
  ['file', '-f'],
  ['stdin-line', '-l'],
  ['stdin-file', '-s'],
  ['null-message', '-n'],
] as const;

function parseSource(values: ParsedValues): MessageSource {
  const sources = SOURCE_FLAGS.filter(([name]) => values[name] !== undefined && values[name] !== false);
  const first = sources[0];
  if (first === undefined) {
    throw new UsageError('missing message: pass one of -m MESSAGE, -f FILE, -l (stdin lines), -s (all of stdin) or -n (empty message)');
  }
  if (sources.length > 1) {
    const flags = sources.map(([, flag]) => flag).join(' and ');
    throw new UsageError(`${flags} conflict: pass only one of -m, -f, -l, -s and -n`);
  }
  switch (first[0]) {
    case 'message':
      return { kind: 'message', text: stringValue(values, 'message') ?? '' };
    case 'file': {
      const path = stringValue(values, 'file') ?? '';
      if (path === '') throw new UsageError('invalid value for -f/--file: it is empty; pass the path of the file to send');
      return { kind: 'file', path };
    }
    case 'stdin-line':
      return { kind: 'stdin-lines' };
    case 'stdin-file':
      return { kind: 'stdin-all' };
    case 'null-message':
      return { kind: 'null' };
  }
}

function requireIdentity(values: ParsedValues): string {
  const identity = stringValue(values, 'identity')?.trim();
  if (identity === undefined || identity === '') {
    throw new UsageError(
      "missing --identity: pass the path of your secret key file, e.g. --identity alice.key (create one with 'mqtt-e2ee keygen -o alice')",
    );
  }
  return identity;
}

/** Parses --group, --member and --sign of pub; a group needs key exchange (--client-id). */
function parseGroup(values: ParsedValues, kx: KxFlags | undefined): PubOptions['group'] {
  const id = stringValue(values, 'group');
  const members = stringList(values, 'member').flatMap((value) => value.split(',')).map((value) => value.trim());
  if (id === undefined) {
    if (members.length > 0 || booleanValue(values, 'sign')) throw new UsageError('--member and --sign need --group: pass the group id, e.g. --group plant');
    return undefined;
  }
  if (kx === undefined) throw new UsageError('--group needs key exchange: add --client-id with the client id you announce, e.g. --client-id alice');
  checkClientId('--group', id);
  if (members.length === 0) throw new UsageError('--group needs at least one --member: pass the member client ids, e.g. --member bob --member carol');
  for (const member of members) checkClientId('--member', member);
  return { id, members, sign: booleanValue(values, 'sign') };
}

function optionalKeys(values: ParsedValues, name: 'to' | 'from'): string[] {
  const keys = stringList(values, name).map((key) => key.trim());
  if (keys.some((key) => key === '')) throw new UsageError(`invalid value for --${name}: it is empty; pass a client id, public key line or .pub file`);
  return keys;
}

function requireKeys(values: ParsedValues, name: 'to' | 'from', role: string, example: string): string[] {
  const keys = stringList(values, name).map((key) => key.trim());
  if (keys.length === 0) {
    throw new UsageError(
      `missing --${name}: pass each ${role}'s public key line (mqe2e-pk1-...) or .pub file, e.g. --${name} ${example}`,
    );
  }
  if (keys.some((key) => key === '')) throw new UsageError(`invalid value for --${name}: it is empty; pass a public key line or .pub file`);
  return keys;
}
