/** connectE2ee: validates options, connects MQTT.js and returns an E2eeClient. */
import { debuglog } from 'node:util';
import { connect } from 'mqtt';
import type { E2eeClient } from './core/client.js';
import { openE2eeClient } from './core/connect.js';
import { checkBrokerUrlWith } from './core/broker-url.js';
import { resolveOptions, type ConnectE2eeOptions } from './options.js';
import { asBuffer } from './payload.js';

const BROKER_PROTOCOLS = ['mqtt', 'mqtts', 'tcp', 'ssl', 'tls', 'ws', 'wss'];

const debug = debuglog('mqtt-e2ee');
const log = (message: string): void => debug('%s', message);

/**
 * Connects to the broker at `brokerUrl` and resolves once the broker accepts the connection
 * (CONNACK). Options are checked first and raise InvalidOptionError, OptionRangeError or
 * OptionFileError. A failed first connection (refused, TLS rejected, closed before CONNACK)
 * rejects with ConnectError and the MQTT.js or socket error as `cause`, and no retry is left
 * running. After that, MQTT.js reconnects every `mqtt.reconnectPeriod` milliseconds.
 */
export async function connectE2ee(
  brokerUrl: string,
  opts: ConnectE2eeOptions,
): Promise<E2eeClient> {
  const shownUrl = checkBrokerUrl(brokerUrl);
  const resolved = await resolveOptions(opts);
  const replayFile = resolved.replayFile;
  let client: E2eeClient;
  try {
    client = await openE2eeClient(resolved.settings, () => connect(brokerUrl, resolved.mqtt), shownUrl, {
      toWire: asBuffer,
      log,
      ...(resolved.keyExchange !== undefined ? { keyExchange: resolved.keyExchange.create } : {}),
    });
  } catch (error) {
    replayFile?.close();
    throw error;
  }
  // MQTT.js emits 'end' once end() completed, after which no message is opened.
  if (replayFile !== undefined) client.mqtt.once('end', () => replayFile.close());
  return client;
}

/** Checks the broker URL and returns it without user name and password, for messages. */
function checkBrokerUrl(brokerUrl: unknown): string {
  return checkBrokerUrlWith(brokerUrl, {
    protocols: BROKER_PROTOCOLS,
    example: 'mqtts://broker.example:8883',
    schemeExpected: `a URL with one of the schemes ${BROKER_PROTOCOLS.join(', ')}`,
    unixSockets: true,
  });
}
