export interface OutputFormat {
  /** Prefix the payload with the topic and a space, like mosquitto_sub -v. */
  verbose: boolean;
  /** Leave out the line feed after each message, like mosquitto_sub -N. */
  noEol: boolean;
  /** Print the payload as lowercase hexadecimal instead of raw bytes. */
  hex: boolean;
}

/** Formats one received message for stdout; raw payload bytes are copied unchanged. */
export function formatMessage(topic: string, payload: Uint8Array, format: OutputFormat): Buffer {
  const parts: Buffer[] = [];
  if (format.verbose) parts.push(Buffer.from(`${topic} `, 'utf8'));
  const body = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  parts.push(format.hex ? Buffer.from(body.toString('hex'), 'latin1') : body);
  if (!format.noEol) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
