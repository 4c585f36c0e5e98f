/** connectE2ee: validates options, connects MQTT.js and returns an E2eeClient. */
import {
  EnvelopeOpener,
  EnvelopeSealer,
  type EnvelopeOpenerOptions,
  type EnvelopeSealerOptions,
} from '@mqtt-e2ee/envelope';
import { connect, type MqttClient } from 'mqtt';
import { E2eeClient } from './client.js';
import { ConnectError, Described, InvalidOptionError, OptionRangeError } from './errors.js';
import { keyCodec } from './keys.js';
import { resolveOptions, type ConnectE2eeOptions, type ResolvedOptions } from './options.js';

const BROKER_PROTOCOLS = ['mqtt', 'mqtts', 'tcp', 'ssl', 'tls', 'ws', 'wss'];

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
  const client = createClient(resolved, () => connect(brokerUrl, resolved.mqtt), shownUrl);
  try {
    await waitForConnack(client.mqtt);
  } catch (error) {
    await client.mqtt.endAsync(true).catch(() => undefined);
    throw new ConnectError(shownUrl, error);
  }
  return client;
}

function createClient(
  resolved: ResolvedOptions,
  open: () => MqttClient,
  shownUrl: string,
): E2eeClient {
  const sealerOptions: EnvelopeSealerOptions = { identity: resolved.identity };
  const openerOptions: EnvelopeOpenerOptions = {
    identities: [resolved.identity],
    resolveSender: (keyId) => resolved.peers.resolveSender(keyId),
  };
  if (resolved.provider !== undefined) {
    sealerOptions.provider = resolved.provider;
    openerOptions.provider = resolved.provider;
  }
  if (resolved.maxMessagesPerSession !== undefined) {
    sealerOptions.maxMessagesPerSession = resolved.maxMessagesPerSession;
  }
  if (resolved.maxSessionAgeMs !== undefined) {
    sealerOptions.maxSessionAgeMs = resolved.maxSessionAgeMs;
  }
  if (resolved.replayWindow !== undefined) openerOptions.replayWindow = resolved.replayWindow;

  const sealer = new EnvelopeSealer(sealerOptions);
  const opener = new EnvelopeOpener(openerOptions);

  let mqtt: MqttClient;
  try {
    mqtt = open();
  } catch (error) {
    // MQTT.js throws synchronously for option errors such as an unknown protocol.
    throw new ConnectError(shownUrl, error);
  }
  // The E2eeClient attaches its message listener before the first CONNACK, so messages that a
  // persistent session delivers right after connecting are decrypted too.
  return new E2eeClient({
    mqtt,
    identity: resolved.identity,
    sealer,
    opener,
    resolveSender: openerOptions.resolveSender,
    keys: keyCodec,
  });
}

/** Resolves on the first CONNACK; rejects on the first error, or on close or end before it. */
function waitForConnack(mqtt: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const cleanup = (): void => {
      mqtt.off('connect', onConnect);
      mqtt.off('error', onError);
      mqtt.off('close', onClose);
      mqtt.off('end', onClose);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      lastError = error;
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(lastError ?? new Error('the connection closed before the broker sent CONNACK'));
    };
    mqtt.on('connect', onConnect);
    mqtt.on('error', onError);
    mqtt.on('close', onClose);
    mqtt.on('end', onClose);
  });
}

/** Checks the broker URL and returns it without user name and password, for messages. */
function checkBrokerUrl(brokerUrl: unknown): string {
  if (typeof brokerUrl !== 'string') {
    throw new InvalidOptionError(
      'brokerUrl',
      "a URL string such as 'mqtts://broker.example:8883'",
      brokerUrl,
    );
  }
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch (error) {
    throw new OptionRangeError(
      'brokerUrl',
      "a URL such as 'mqtts://broker.example:8883'",
      new Described('a string that is not an absolute URL'),
      {
        cause: error,
      },
    );
  }
  const protocol = url.protocol.replace(/:$/, '').replace(/\+unix$/, '');
  if (!BROKER_PROTOCOLS.includes(protocol)) {
    throw new OptionRangeError(
      'brokerUrl',
      `a URL with one of the schemes ${BROKER_PROTOCOLS.join(', ')}`,
      new Described(`a URL with the scheme ${url.protocol}`),
    );
  }
  url.username = '';
  url.password = '';
  return url.toString();
}
