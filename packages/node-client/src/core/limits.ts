/** Size limits of MQTT packets and envelopes. */
import { utf8Length } from './bytes.js';

/**
 * Largest Remaining Length of an MQTT packet: four bytes of variable byte integer (MQTT 5.0
 * section 1.5.5), so 268,435,455 bytes. It is the default of `maxMessageBytes`.
 */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * Returns the size in bytes of an MQTT 5 PUBLISH packet without properties (MQTT 5.0 section
 * 3.3): fixed header, topic name, packet identifier for QoS 1 and 2, property length and payload.
 * Properties would add to it, so this is the smallest size the packet can have.
 */
export function publishPacketSize(topic: string, payloadBytes: number, qos: number): number {
  const packetId = qos > 0 ? 2 : 0;
  const propertyLength = 1;
  const remaining = 2 + utf8Length(topic) + packetId + propertyLength + payloadBytes;
  return 1 + variableByteIntegerLength(remaining) + remaining;
}

function variableByteIntegerLength(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}
