/**
 * Live cases: the adapter talks to a real MQTT broker while the kit plays the other party with
 * @mqtt-e2ee/envelope and MQTT.js (spec/conformance.md, "Live cases").
 */
import { randomBytes } from 'node:crypto';
import {
  EnvelopeOpener,
  EnvelopeSealer,
  keyPairFromSecretKey,
  type OpenedMessage,
} from '@mqtt-e2ee/envelope';
import { fromHex, toHex } from '@mqtt-e2ee/vectors';
import mqtt, { type MqttClient } from 'mqtt';
import type { KitCase } from './cases.js';

/** Test keys of the live cases; public test values, never use them elsewhere. */
const ALICE = keyPairFromSecretKey(fromHex('4c6976652063617365206b6579206f6620416c6963652c206e6f742073656372'));
const BOB = keyPairFromSecretKey(fromHex('4c6976652063617365206b6579206f6620426f622c206e6f7420736563726574'));

const text = (value: string) => toHex(new TextEncoder().encode(value));

async function connect(broker: string): Promise<MqttClient> {
  return mqtt.connectAsync(broker, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, clean: true });
}

/**
 * Builds the case in which the kit publishes and the adapter receives: envelopes, a duplicate,
 * clear text, an empty payload, a modified envelope, envelopes sent with a topic alias and a
 * padded one.
 */
function receiveCase(broker: string, prefix: string): KitCase {
  const topic = `${prefix}/receive/state`;
  const sealer = new EnvelopeSealer({ identity: ALICE });
  const paddedSealer = new EnvelopeSealer({ identity: ALICE, padding: 'buckets' });
  let client: MqttClient | undefined;
  const publishAll = async () => {
    client = await connect(broker);
    const m0 = sealer.seal(topic, fromHex(text('state 0')), BOB.publicKey);
    const m1 = sealer.seal(topic, fromHex(text('state 1')), BOB.publicKey);
    const tampered = m1.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    const send = (payload: Uint8Array | string, properties?: { topicAlias: number }, name = topic) =>
      client!.publishAsync(name, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1, ...(properties ? { properties } : {}) });
    await send(m0);
    await send(m1);
    await send(m1);
    await send('{"state":"clear text"}');
    await send(new Uint8Array(0));
    await send(tampered);
    // The first PUBLISH registers alias 1 for the topic. The second carries an empty topic name
    // and only the alias, which the broker resolves (MQTT 5.0 section 3.3.2.3.4).
    await send(sealer.seal(topic, fromHex(text('register alias')), BOB.publicKey), { topicAlias: 1 });
    await send(sealer.seal(topic, fromHex(text('state 2 via alias')), BOB.publicKey), { topicAlias: 1 }, '');
    await send(paddedSealer.seal(topic, fromHex(text('padded')), BOB.publicKey));
  };
  return {
    id: 'live/receive',
    op: 'live-receive',
    input: {
      broker,
      topic,
      recipientSecretKeys: [toHex(BOB.secretKey)],
      senderPublicKeys: [toHex(ALICE.publicKey)],
      count: 9,
    },
    expected: {
      received: [
        { seq: '0', plaintext: text('state 0') },
        { seq: '1', plaintext: text('state 1') },
        { error: 'ERR_DUPLICATE' },
        { error: 'ERR_ENVELOPE_FORMAT' },
        { kind: 'delete' },
        { error: 'ERR_DECRYPT' },
        { seq: '2', plaintext: text('register alias') },
        { seq: '3', plaintext: text('state 2 via alias') },
        { seq: '0', plaintext: text('padded') },
      ],
    },
    onReady: publishAll,
    cleanup: async () => {
      await client?.endAsync();
    },
  };
}

/** Builds the case in which the adapter seals and publishes, and the kit opens what arrives with the reference opener. */
function sealCase(broker: string, prefix: string): KitCase {
  const topic = `${prefix}/seal/telemetry`;
  const messages = ['21.5 C', '21.6 C', '', 'x'.repeat(300)].map(text);
  const opened: (OpenedMessage | { error: string })[] = [];
  let client: MqttClient | undefined;
  let done: (() => void) | undefined;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  const opener = new EnvelopeOpener({ identities: [BOB], resolveSender: () => [ALICE.publicKey] });
  return {
    id: 'live/seal',
    op: 'live-seal',
    input: { broker, topic, senderSecretKey: toHex(ALICE.secretKey), recipientPublicKey: toHex(BOB.publicKey), messages, padding: 'buckets' },
    expected: {
      published: messages.length,
      opened: messages.map((plaintext, seq) => ({ seq: String(seq), plaintext, padded: true, sender: toHex(ALICE.publicKey) })),
      sessions: 1,
    },
    prepare: async () => {
      client = await connect(broker);
      client.on('message', (receivedTopic, payload) => {
        try {
          opened.push(opener.open(receivedTopic, new Uint8Array(payload)));
        } catch (error) {
          opened.push({ error: (error as { code?: string }).code ?? String(error) });
        }
        if (opened.length === messages.length) done?.();
      });
      await client.subscribeAsync(topic, { qos: 1 });
    },
    observe: async (output) => {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([arrived, timeout]);
      const sessions = new Set(opened.map((o) => ('sessionId' in o ? o.sessionId : '')));
      return {
        ...(output as object),
        opened: opened.map((o) =>
          'error' in o ? o : { seq: o.seq.toString(), plaintext: toHex(o.plaintext), padded: o.padded, sender: toHex(o.senderPublicKey) },
        ),
        sessions: sessions.size,
      };
    },
    cleanup: async () => {
      await client?.endAsync();
    },
  };
}

/** Live cases against `broker`, under a random topic prefix so that parallel runs do not collide. */
export function liveCases(broker: string): KitCase[] {
  const prefix = `mqtt-e2ee-conformance/${randomBytes(6).toString('hex')}`;
  return [receiveCase(broker, prefix), sealCase(broker, prefix)];
}
