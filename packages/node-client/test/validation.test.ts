import { generateKeyPair } from '@mqtt-e2ee/envelope';
import { publicKeyText, secretKeyText } from '@mqtt-e2ee/key-exchange';
import { startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectE2ee,
  InvalidOptionError,
  OptionRangeError,
  topicMatchesFilter,
  type E2eeClient,
} from '../src/index.js';

const alice = generateKeyPair();
const bob = generateKeyPair();

/** Calls `action` and returns what it threw or rejected with. */
async function failure(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but the call succeeded');
}

function expectOptionError(
  error: unknown,
  type: typeof InvalidOptionError | typeof OptionRangeError,
  option: string,
): void {
  expect(error).toBeInstanceOf(type);
  expect((error as InvalidOptionError).option).toBe(option);
  expect((error as InvalidOptionError).message).toContain(`${option} must be`);
  expect((error as InvalidOptionError).message).toContain(', got ');
}

describe('topicMatchesFilter', () => {
  it.each([
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['+/+', '/x', true],
    ['a/b', 'a/c', false],
    ['$share/group/a/+', 'a/b', true],
    ['$share/group/a/+', 'b/b', false],
  ])('%s against %s', (filter, topic, expected) => {
    expect(topicMatchesFilter(filter, topic)).toBe(expected);
  });
});

describe('connect options', () => {
  const url = 'mqtt://127.0.0.1:1';

  it('identity missing', async () => {
    expectOptionError(
      await failure(() => connectE2ee(url, {} as never)),
      InvalidOptionError,
      'opts.identity',
    );
  });

  it('identity public key mismatch', async () => {
    const error = await failure(() =>
      connectE2ee(url, { identity: { secretKey: alice.secretKey, publicKey: bob.publicKey } }),
    );
    expectOptionError(error, OptionRangeError, 'opts.identity.publicKey');
  });

  it('bad secret key text hidden', async () => {
    const text = secretKeyText(alice);
    const broken = `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;
    const error = await failure(() => connectE2ee(url, { identity: broken }));
    expectOptionError(error, OptionRangeError, 'opts.identity');
    expect((error as Error).message).not.toContain(broken.slice(10));
  });

  it('unknown option rejected', async () => {
    const error = await failure(() => connectE2ee(url, { identity: alice, peer: [] } as never));
    expectOptionError(error, OptionRangeError, 'opts.peer');
  });

  it('bad peer names index', async () => {
    const error = await failure(() =>
      connectE2ee(url, { identity: alice, peers: [bob.publicKey, 'mqe2e-pk1-nope'] }),
    );
    expectOptionError(error, OptionRangeError, 'opts.peers[1]');
  });

  it('bad protocolVersion rejected', async () => {
    const error = await failure(() =>
      connectE2ee(url, { identity: alice, mqtt: { protocolVersion: 6 as never } }),
    );
    expectOptionError(error, OptionRangeError, 'opts.mqtt.protocolVersion');
  });

  it('caFile with mqtt.ca rejected', async () => {
    const error = await failure(() =>
      connectE2ee(url, { identity: alice, mqtt: { ca: 'x' }, tls: { caFile: '/tmp/ca.pem' } }),
    );
    expectOptionError(error, OptionRangeError, 'opts.tls.caFile');
  });

  it('broker URL scheme checked', async () => {
    const error = await failure(() => connectE2ee('http://127.0.0.1:1', { identity: alice }));
    expectOptionError(error, OptionRangeError, 'brokerUrl');
  });
});

describe('request options', () => {
  let broker: RunningAedes;
  let client: E2eeClient;

  beforeAll(async () => {
    broker = await startAedes();
    client = await connectE2ee(broker.url, { identity: alice, mqtt: { reconnectPeriod: 0 } });
  });

  afterAll(async () => {
    await Promise.allSettled([client?.end()]);
    await broker?.stop();
  });

  it.each([
    ['a/+/c', OptionRangeError],
    ['a/#', OptionRangeError],
    ['', OptionRangeError],
    [42, InvalidOptionError],
  ] as const)('publish topic %j rejected', async (topic, type) => {
    const error = await failure(() => client.publish(topic as string, 'x', { to: bob.publicKey }));
    expectOptionError(error, type, 'topic');
  });

  it('empty recipient list rejected', async () => {
    expectOptionError(
      await failure(() => client.publish('a', 'x', { to: [] })),
      OptionRangeError,
      'opts.to',
    );
  });

  it('missing recipient rejected', async () => {
    expectOptionError(
      await failure(() => client.publish('a', 'x', {} as never)),
      InvalidOptionError,
      'opts.to',
    );
  });

  it('secret key as recipient rejected', async () => {
    const secret = secretKeyText(bob);
    const error = await failure(() => client.publish('a', 'x', { to: [bob.publicKey, secret] }));
    expectOptionError(error, OptionRangeError, 'opts.to[1]');
    expect((error as Error).message).not.toContain(secret.slice(10));
  });

  it.each([3, -1, 1.5])('qos %d rejected', async (qos) => {
    const error = await failure(() =>
      client.publish('a', 'x', { to: bob.publicKey, qos: qos as never }),
    );
    expectOptionError(error, OptionRangeError, 'opts.qos');
  });

  it('payload number rejected', async () => {
    const error = await failure(() => client.publish('a', 7 as never, { to: bob.publicKey }));
    expectOptionError(error, InvalidOptionError, 'payload');
  });

  it('retain with two recipients rejected', async () => {
    const error = await failure(() =>
      client.publish('a', 'x', { to: [bob.publicKey, publicKeyText(alice)], retain: true }),
    );
    expectOptionError(error, OptionRangeError, 'opts.to');
  });

  it('properties need MQTT 5', async () => {
    const error = await failure(() =>
      client.publish('a', 'x', { to: bob.publicKey, properties: { userProperties: { a: 'b' } } }),
    );
    expectOptionError(error, OptionRangeError, 'opts.properties');
  });

  it('subscribe filter checked', async () => {
    expectOptionError(await failure(() => client.subscribe('a/#/b')), OptionRangeError, 'topics');
    expectOptionError(
      await failure(() => client.subscribe(['a', 'b+'])),
      OptionRangeError,
      'topics[1]',
    );
  });

  it('subscribe from checked', async () => {
    const error = await failure(() => client.subscribe('a', { from: ['nope'] }));
    expectOptionError(error, OptionRangeError, 'opts.from[0]');
    expectOptionError(
      await failure(() => client.subscribe('a', { from: [] })),
      OptionRangeError,
      'opts.from',
    );
  });
});
