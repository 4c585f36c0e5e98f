/** One MQTT.js publish as a promise, with the cases in which MQTT.js 5 throws or never calls back. */
import type { IClientPublishOptions, MqttClient } from 'mqtt';

/** The payload type that MQTT.js publish accepts. */
type WirePayload = Parameters<MqttClient['publishAsync']>[1];

/**
 * Publishes through the callback form of MQTT.js publish and settles when MQTT.js reports the end
 * of the QoS flow: QoS 0 once written, QoS 1 on PUBACK, QoS 2 on PUBCOMP. `mapError` turns an
 * MQTT.js error and the topic into the rejection value. A client that has ended is rejected at once, because
 * MQTT.js never calls back for a QoS 0 publish after end() and throws for some QoS 1 calls.
 */
export function publishPacket(
  mqtt: MqttClient,
  topic: string,
  payload: WirePayload,
  options: IClientPublishOptions,
  mapError: (error: Error, topic: string) => unknown,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (mqtt.disconnecting || mqtt.disconnected) {
      reject(mapError(new Error('the client has ended: connect a new client to publish again'), topic));
      return;
    }
    try {
      mqtt.publish(topic, payload, options, (error) => {
        if (error) reject(mapError(error, topic));
        else resolve();
      });
    } catch (error) {
      reject(mapError(error instanceof Error ? error : new Error(String(error)), topic));
    }
  });
}
