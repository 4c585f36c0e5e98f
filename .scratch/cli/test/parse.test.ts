import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { parseKeygenArgs, parsePubArgs, parseSubArgs, type PubOptions, type SubOptions } from '../src/parse.js';

const PUB_BASE = ['--identity', 'a.key', '--to', 'b.pub', '-t', 'x/y'];
const SUB_BASE = ['--identity', 'b.key', '--from', 'a.pub', '-t', 'x/#'];

function pub(...args: string[]): PubOptions {
  const parsed = parsePubArgs([...PUB_BASE, ...args]);
  if (parsed.help) throw new Error('expected options, got a help request');
  return parsed.options;
}

function sub(...args: string[]): SubOptions {
  const parsed = parseSubArgs([...SUB_BASE, ...args]);
  if (parsed.help) throw new Error('expected options, got a help request');
  return parsed.options;
}

/** Returns the UsageError message that parsing `args` throws. */
function usageMessage(parse: (args: string[]) => unknown, args: string[]): string {
  try {
    parse(args);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(args)}`);
}

describe('pub defaults', () => {
  it('uses mosquitto defaults', () => {
    const options = pub('-m', 'hi');
    expect(options.connection.host).toBe('localhost');
    expect(options.connection.port).toBe(1883);
    expect(options.connection.protocol).toBe('mqtt');
    expect(options.connection.protocolVersion).toBe(4);
    expect(options.connection.keepalive).toBe(60);
    expect(options.qos).toBe(0);
    expect(options.retain).toBe(false);
    expect(options.source).toEqual({ kind: 'message', text: 'hi' });
    expect(options.topic).toBe('x/y');
    expect(options.to).toEqual(['b.pub']);
  });

  it('switches to port 8883 with --cafile', () => {
    const options = pub('-n', '--cafile', 'ca.pem');
    expect(options.connection.protocol).toBe('mqtts');
    expect(options.connection.port).toBe(8883);
    expect(options.connection.cafile).toBe('ca.pem');
  });

  it('keeps an explicit port with --cafile', () => {
    expect(pub('-n', '--cafile', 'ca.pem', '-p', '9999').connection.port).toBe(9999);
  });
});

describe('pub flags', () => {
  it('reads short and long forms', () => {
    const options = pub('-f', 'data.bin', '-q', '2', '-r', '-h', '127.0.0.1', '-p', '1884', '-i', 'me', '-u', 'user', '-P', 'secret', '-k', '5', '-V', 'mqttv5', '-d');
    expect(options.source).toEqual({ kind: 'file', path: 'data.bin' });
    expect(options.qos).toBe(2);
    expect(options.retain).toBe(true);
    expect(options.connection).toMatchObject({
      host: '127.0.0.1',
      port: 1884,
      clientId: 'me',
      username: 'user',
      password: 'secret',
      keepalive: 5,
      protocolVersion: 5,
      debug: true,
    });
  });

  it('maps every protocol version spelling', () => {
    const cases: [string, number][] = [['mqttv31', 3], ['31', 3], ['mqttv311', 4], ['311', 4], ['mqttv5', 5], ['5', 5], ['MQTTV5', 5]];
    for (const [text, version] of cases) {
      expect(pub('-n', '-V', text).connection.protocolVersion).toBe(version);
    }
  });

  it('allows a password alone in MQTT 5', () => {
    const connection = pub('-n', '-P', 'pw', '-V', '5').connection;
    expect(connection.password).toBe('pw');
    expect(connection.username).toBeUndefined();
  });

  it('trims key values', () => {
    const options = parsePubArgs(['--identity', ' a.key\n', '--to', ' b.pub ', '-t', 't', '-n']);
    if (options.help) throw new Error('expected options, got a help request');
    expect(options.options.identity).toBe('a.key');
    expect(options.options.to).toEqual(['b.pub']);
  });

  it('collects repeated --to', () => {
    expect(pub('-n', '--to', 'c.pub').to).toEqual(['b.pub', 'c.pub']);
  });

  it('maps each message source', () => {
    expect(pub('-l').source).toEqual({ kind: 'stdin-lines' });
    expect(pub('-s').source).toEqual({ kind: 'stdin-all' });
    expect(pub('-n').source).toEqual({ kind: 'null' });
    expect(pub('-m', '').source).toEqual({ kind: 'message', text: '' });
    expect(pub('--message=-5').source).toEqual({ kind: 'message', text: '-5' });
  });
});

describe('-L url', () => {
  const base = ['--identity', 'a.key', '--to', 'b.pub', '-n'];

  it('sets host, port, credentials and topic', () => {
    const parsed = parsePubArgs([...base, '-L', 'mqtts://al%40ice:p%3Ass@broker.test:8884/a/b']);
    if (parsed.help) throw new Error('expected options');
    expect(parsed.options.topic).toBe('a/b');
    expect(parsed.options.connection).toMatchObject({
      protocol: 'mqtts',
      host: 'broker.test',
      port: 8884,
      username: 'al@ice',
      password: 'p:ss',
    });
  });

  it('uses the default port of each scheme', () => {
    const ports: [string, number][] = [['mqtt', 1883], ['mqtts', 8883], ['ws', 80], ['wss', 443]];
    for (const [scheme, port] of ports) {
      const parsed = parsePubArgs([...base, '-L', `${scheme}://127.0.0.1/t`]);
      if (parsed.help) throw new Error('expected options');
      expect(parsed.options.connection.port).toBe(port);
      expect(parsed.options.connection.protocol).toBe(scheme);
    }
  });

  it('keeps wildcards in sub topics', () => {
    const parsed = parseSubArgs(['--identity', 'b.key', '--from', 'a.pub', '-L', 'mqtt://[::1]:1883/sensors/+/#']);
    if (parsed.help) throw new Error('expected options');
    expect(parsed.options.topics).toEqual(['sensors/+/#']);
    expect(parsed.options.connection.host).toBe('::1');
  });

  it('rejects -h together with -L', () => {
    expect(usageMessage(parsePubArgs, [...base, '-L', 'mqtt://h/t', '-h', 'x'])).toMatch(/-L\/--url already sets the host/);
  });

  it('rejects an unknown scheme', () => {
    expect(usageMessage(parsePubArgs, [...base, '-L', 'http://h/t'])).toMatch(/invalid value for -L\/--url/);
  });

  it('hides the password in errors', () => {
    const message = usageMessage(parsePubArgs, [...base, '-L', 'mqtt://user:hunter2@']);
    expect(message).not.toContain('hunter2');
    expect(message).toContain('user:***@');
  });
});

describe('sub flags', () => {
  it('uses mosquitto defaults', () => {
    const options = sub();
    expect(options.topics).toEqual(['x/#']);
    expect(options.count).toBeUndefined();
    expect(options.timeoutSeconds).toBeUndefined();
    expect(options.verbose).toBe(false);
    expect(options.noEol).toBe(false);
    expect(options.hex).toBe(false);
    expect(options.cleanSession).toBe(true);
  });

  it('reads output and stop flags', () => {
    const options = sub('-t', 'y/+', '-C', '3', '-W', '0.5', '-v', '-N', '--hex', '-q', '1', '--from', 'c.pub');
    expect(options.topics).toEqual(['x/#', 'y/+']);
    expect(options.count).toBe(3);
    expect(options.timeoutSeconds).toBe(0.5);
    expect(options.verbose).toBe(true);
    expect(options.noEol).toBe(true);
    expect(options.hex).toBe(true);
    expect(options.qos).toBe(1);
    expect(options.from).toEqual(['a.pub', 'c.pub']);
  });

  it('needs -i for -c', () => {
    expect(usageMessage(parseSubArgs, [...SUB_BASE, '-c'])).toMatch(/-c\/--disable-clean-session needs a fixed client id/);
    expect(sub('-c', '-i', 'fixed').cleanSession).toBe(false);
  });

  it('rejects bad topic filters', () => {
    expect(usageMessage(parseSubArgs, [...SUB_BASE, '-t', 'a/#/b'])).toMatch(/'#' other than as the whole last level/);
    expect(usageMessage(parseSubArgs, [...SUB_BASE, '-t', 'a/b+'])).toMatch(/'\+' other than as a whole level/);
  });
});

describe('usage errors', () => {
  const cases: [string, (args: string[]) => unknown, string[], RegExp][] = [
    ['unknown flag', parsePubArgs, [...PUB_BASE, '-n', '--bogus'], /unknown option '--bogus'.*mqtt-e2ee pub --help/],
    ['missing identity', parsePubArgs, ['--to', 'b.pub', '-t', 't', '-n'], /missing --identity: .*keygen/],
    ['missing to', parsePubArgs, ['--identity', 'a.key', '-t', 't', '-n'], /missing --to: .*--to bob\.pub/],
    ['missing from', parseSubArgs, ['--identity', 'a.key', '-t', 't'], /missing --from: /],
    ['missing topic', parsePubArgs, ['--identity', 'a.key', '--to', 'b.pub', '-n'], /missing -t\/--topic/],
    ['missing sub topic', parseSubArgs, ['--identity', 'a.key', '--from', 'b.pub'], /missing -t\/--topic/],
    ['missing message', parsePubArgs, PUB_BASE, /missing message: pass one of -m/],
    ['two sources', parsePubArgs, [...PUB_BASE, '-m', 'a', '-l'], /-m and -l conflict/],
    ['missing value', parsePubArgs, [...PUB_BASE, '-m'], /-m\/--message requires a value/],
    ['dash value', parsePubArgs, [...PUB_BASE, '-m', '-5'], /--message=-VALUE/],
    ['repeated flag', parsePubArgs, [...PUB_BASE, '-m', 'a', '-m', 'b'], /-m\/--message given more than once/],
    ['two pub topics', parsePubArgs, [...PUB_BASE, '-t', 'z', '-n'], /-t\/--topic given more than once/],
    ['wildcard topic', parsePubArgs, ['--identity', 'a', '--to', 'b', '-t', 'a/#', '-n'], /contains a wildcard/],
    ['positional', parsePubArgs, [...PUB_BASE, '-r', 'stray'], /unexpected argument 'stray'/],
    ['bad qos', parsePubArgs, [...PUB_BASE, '-n', '-q', '3'], /-q\/--qos: expected a whole number from 0 to 2, got '3'/],
    ['bad port', parsePubArgs, [...PUB_BASE, '-n', '-p', '70000'], /-p\/--port: expected a whole number from 1 to 65535/],
    ['bad version', parsePubArgs, [...PUB_BASE, '-n', '-V', '4'], /expected mqttv31, mqttv311 or mqttv5/],
    ['bad keepalive', parsePubArgs, [...PUB_BASE, '-n', '-k', '-1'], /-k/],
    ['password alone', parsePubArgs, [...PUB_BASE, '-n', '-P', 'pw'], /-P\/--pw needs a user name before MQTT 5/],
    ['cert without key', parsePubArgs, [...PUB_BASE, '-n', '--cert', 'c.pem'], /--cert and --key go together/],
    ['insecure plain', parsePubArgs, [...PUB_BASE, '-n', '--insecure'], /--insecure applies only to TLS/],
    ['cafile with mqtt url', parsePubArgs, ['--identity', 'a', '--to', 'b', '-n', '-L', 'mqtt://h/t', '--cafile', 'ca'], /need TLS/],
    ['zero count', parseSubArgs, [...SUB_BASE, '-C', '0'], /-C\/--count: expected a whole number from 1/],
    ['bad timeout', parseSubArgs, [...SUB_BASE, '-W', 'soon'], /-W\/--timeout: expected a number of seconds/],
    ['missing out', parseKeygenArgs, [], /missing -o\/--out/],
    ['url wildcard topic', parsePubArgs, ['--identity', 'a', '--to', 'b', '-n', '-L', 'mqtt://h/a/#'], /invalid topic for -L\/--url: 'a\/#' contains a wildcard/],
    ['bad url filter', parseSubArgs, ['--identity', 'b', '--from', 'a', '-L', 'mqtt://h/a/b+'], /invalid topic filter for -L\/--url: 'a\/b\+'/],
    ['bad filter with url', parseSubArgs, ['--identity', 'b', '--from', 'a', '-L', 'mqtt://h/a', '-t', 'x#'], /invalid topic filter for -t\/--topic: 'x#'/],
    ['blank to', parsePubArgs, ['--identity', 'a', '--to', '  ', '-t', 't', '-n'], /invalid value for --to: it is empty/],
  ];

  for (const [name, parse, args, pattern] of cases) {
    it(`rejects ${name}`, () => {
      const message = usageMessage(parse, args);
      expect(message).toMatch(pattern);
      expect(message).not.toContain('\n');
    });
  }
});

describe('help requests', () => {
  it('wins over other errors', () => {
    expect(parsePubArgs(['--bogus', '--help'])).toEqual({ help: true });
    expect(parseSubArgs(['--help'])).toEqual({ help: true });
    expect(parseKeygenArgs(['--help'])).toEqual({ help: true });
  });

  it('parses keygen options', () => {
    expect(parseKeygenArgs(['-o', 'alice', '--force'])).toEqual({ help: false, options: { out: 'alice', force: true } });
  });
});
