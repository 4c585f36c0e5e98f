import { createServer, type Server, type Socket } from 'node:net';
import { EnvelopeOpener, EnvelopeSealer, generateKeyPair } from '@mqtt-e2ee/envelope';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, describe, expect, it } from 'vitest';

// A scripted MQTT 5 server on 127.0.0.1 that delivers PUBLISH packets with topic aliases, which
// Mosquitto does not send to subscribers. Packets are encoded and parsed with mqtt-packet, the
// codec of MQTT.js. It checks that MQTT.js hands the resolved topic to its 'message' event, the
// topic that spec/envelope-v1.md section 7.1 binds.

const alice = generateKeyPair();
const bob = generateKeyPair();
const topic = 'plant/line-1/alias';
const sealer = new EnvelopeSealer({ identity: alice });
const envelopes = [0, 1, 2].map((i) => sealer.seal(topic, new TextEncoder().encode(`via alias ${i}`), bob.publicKey));

let server: Server | undefined;
afterAll(() => server?.close());

function serve(socket: Socket): void {
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const send = (packet: mqttPacket.Packet) => socket.write(mqttPacket.generate(packet, { protocolVersion: 5 }));
  parser.on('packet', (packet) => {
    if (packet.cmd === 'connect') {
      send({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 0 } });
    } else if (packet.cmd === 'subscribe') {
      send({ cmd: 'suback', messageId: packet.messageId ?? 0, granted: [0], reasonCode: 0 });
      const publish = (name: string, payload: Uint8Array) =>
        send({ cmd: 'publish', topic: name, payload: Buffer.from(payload), qos: 0, dup: false, retain: false, properties: { topicAlias: 7 } });
      // The first PUBLISH registers alias 7; the next two carry an empty topic name.
      publish(topic, envelopes[0]!);
      publish('', envelopes[1]!);
      publish('', envelopes[2]!);
    }
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => undefined);
}

describe('incoming topic alias', () => {
  it('resolves before the envelope check', async () => {
    server = createServer(serve);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${address.port}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      properties: { topicAliasMaximum: 10 },
    });
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey] });
    const received: { topic: string; packetTopic: string; text: string }[] = [];
    const done = new Promise<void>((resolve) => {
      client.on('message', (resolved, payload, packet) => {
        const opened = opener.open(resolved, new Uint8Array(payload));
        received.push({ topic: resolved, packetTopic: String(packet.topic), text: new TextDecoder().decode(opened.plaintext) });
        if (received.length === 3) resolve();
      });
    });
    await client.subscribeAsync(topic);
    await done;
    await client.endAsync(true);
    expect(received.map((r) => r.text)).toEqual(['via alias 0', 'via alias 1', 'via alias 2']);
    expect(received.map((r) => r.topic)).toEqual([topic, topic, topic]);
    // packet.topic keeps what the wire carried, so a client must not bind it.
    expect(received.map((r) => r.packetTopic)).toEqual([topic, '', '']);
  });
});
