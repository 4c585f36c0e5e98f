/**
 * Commands of key exchange: anchor (create a trust anchor), endorse (sign a device key with it),
 * revoke (publish a revocation) and announce (publish or rotate the own key).
 */
import { writeFile } from 'node:fs/promises';
import {
  DEFAULT_PREFIX,
  encodeAnchorPublicKey,
  encodeEndorsement,
  encodeRevocation,
  endorseKey,
  keyIdHex,
  revocationTopic,
  revokeKey,
  signingKeyFingerprint,
  type SigningKeyPair,
} from '@mqtt-e2ee/key-exchange';
import { readAnchorFile, readDevicePublicKeyFile, writeAnchorFiles } from '@mqtt-e2ee/key-exchange/fs';
import { connectE2ee, type E2eeClient } from '@mqtt-e2ee/node-client';
import mqtt from 'mqtt';
import { booleanValue, parseCommandLine, stringValue, type OptionTable } from './argv.js';
import { brokerTarget, closeClient, describeTarget } from './connection.js';
import { CONNECTION_OPTIONS, parseConnection, type ConnectionOptions } from './connection-options.js';
import { CommandError, UsageError, errorCode, oneLine } from './errors.js';
import { Reporter, type CommandIo } from './io.js';
import { KX_OPTIONS, checkClientId, keyExchangeOption, parseKxFlags, type KxFlags } from './kx.js';
import { checkOutputDirectory } from './out-dir.js';
import type { Parsed } from './parse.js';
import { parseInteger } from './values.js';

const DAY_MS = 86_400_000;

export interface AnchorOptions {
  out: string;
  force: boolean;
}

export interface EndorseOptions {
  anchor: string;
  clientId: string;
  key: string;
  days: number;
  prefix: string;
  out?: string;
}

export interface RevokeOptions {
  connection: ConnectionOptions;
  anchor: string;
  clientId: string;
  key: string;
  reason: string;
  prefix: string;
  out?: string;
}

export interface AnnounceOptions {
  connection: ConnectionOptions;
  identity: string;
  kx: KxFlags;
  rotate: boolean;
}

export const ANCHOR_OPTIONS = {
  out: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies OptionTable;

export const ENDORSE_OPTIONS = {
  anchor: { type: 'string' },
  'client-id': { type: 'string' },
  'device-key': { type: 'string' },
  days: { type: 'string' },
  prefix: { type: 'string' },
  out: { type: 'string', short: 'o' },
  help: { type: 'boolean' },
} as const satisfies OptionTable;

export const REVOKE_OPTIONS = {
  ...CONNECTION_OPTIONS,
  anchor: { type: 'string' },
  'client-id': { type: 'string' },
  'device-key': { type: 'string' },
  reason: { type: 'string' },
  prefix: { type: 'string' },
  out: { type: 'string', short: 'o' },
} as const satisfies OptionTable;

export const ANNOUNCE_OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...KX_OPTIONS,
  identity: { type: 'string' },
  rotate: { type: 'boolean' },
} as const satisfies OptionTable;

function required(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`missing ${flag}: pass ${example}`);
  return value.trim();
}

export function parseAnchorArgs(args: readonly string[]): Parsed<AnchorOptions> {
  if (args.includes('--help')) return { help: true };
  const values = parseCommandLine('anchor', args, ANCHOR_OPTIONS);
  const out = required(stringValue(values, 'out'), '-o/--out', 'the output name, e.g. -o org-anchor to write org-anchor.key and org-anchor.pub');
  if (out.endsWith('.key') || out.endsWith('.pub')) {
    throw new UsageError(`-o/--out takes the name without extension; pass -o ${out.slice(0, -4)}`);
  }
  return { help: false, options: { out, force: booleanValue(values, 'force') } };
}

export function parseEndorseArgs(args: readonly string[]): Parsed<EndorseOptions> {
  if (args.includes('--help')) return { help: true };
  const values = parseCommandLine('endorse', args, ENDORSE_OPTIONS);
  const options: EndorseOptions = {
    anchor: required(stringValue(values, 'anchor'), '--anchor', 'the anchor secret key file, e.g. --anchor org-anchor.key'),
    clientId: checkClientId('--client-id', required(stringValue(values, 'client-id'), '--client-id', 'the client id of the device, e.g. --client-id sensor-1')),
    key: required(stringValue(values, 'device-key'), '--device-key', "the device's public key file, e.g. --device-key sensor-1.pub"),
    days: parseInteger('--days', stringValue(values, 'days') ?? '365', 1, 36_500),
    prefix: stringValue(values, 'prefix') ?? DEFAULT_PREFIX,
  };
  const out = stringValue(values, 'out');
  if (out !== undefined) options.out = out;
  return { help: false, options };
}

export function parseRevokeArgs(args: readonly string[]): Parsed<RevokeOptions> {
  if (args.includes('--help')) return { help: true };
  const values = parseCommandLine('revoke', args, REVOKE_OPTIONS);
  const { connection } = parseConnection(values);
  const options: RevokeOptions = {
    connection,
    anchor: required(stringValue(values, 'anchor'), '--anchor', 'the anchor secret key file, e.g. --anchor org-anchor.key'),
    clientId: checkClientId('--client-id', required(stringValue(values, 'client-id'), '--client-id', 'the client id of the device, e.g. --client-id sensor-1')),
    key: required(stringValue(values, 'device-key'), '--device-key', "the revoked device's public key file, e.g. --device-key sensor-1.pub"),
    reason: stringValue(values, 'reason') ?? '',
    prefix: stringValue(values, 'prefix') ?? DEFAULT_PREFIX,
  };
  const out = stringValue(values, 'out');
  if (out !== undefined) options.out = out;
  return { help: false, options };
}

export function parseAnnounceArgs(args: readonly string[]): Parsed<AnnounceOptions> {
  if (args.includes('--help')) return { help: true };
  const values = parseCommandLine('announce', args, ANNOUNCE_OPTIONS);
  const { connection } = parseConnection(values);
  const kx = parseKxFlags(values);
  if (kx === undefined) throw new UsageError('missing --client-id: pass the client id to announce the key under, e.g. --client-id alice');
  const identity = required(stringValue(values, 'identity'), '--identity', 'your secret key file, e.g. --identity alice.key');
  if (!identity.endsWith('.key')) throw new UsageError(`--identity takes a .key file, got '${identity}'; pass e.g. --identity alice.key`);
  return { help: false, options: { connection, identity, kx, rotate: booleanValue(values, 'rotate') } };
}

/** Runs `mqtt-e2ee anchor`: writes NAME.key (mode 0600) and NAME.pub and prints the anchor public key. */
export async function runAnchor(options: AnchorOptions, io: CommandIo): Promise<void> {
  await checkOutputDirectory('-o/--out', options.out);
  let written: Awaited<ReturnType<typeof writeAnchorFiles>>;
  try {
    written = await writeAnchorFiles(options.out, { overwrite: options.force });
  } catch (error) {
    const exists = (error as { reason?: unknown }).reason === 'exists';
    const detail = exists ? 'it already exists; pass --force to replace it, or choose another -o name' : oneLine(error);
    throw new CommandError(errorCode(error) ?? 'ERR_KEY_FILE', `writing ${options.out}.key failed: ${detail}`, { cause: error });
  }
  io.stderr.write(
    `mqtt-e2ee anchor: wrote ${written.secretKeyPath} (secret, mode 0600; keep it offline) and ${written.publicKeyPath}; ` +
      `fingerprint ${signingKeyFingerprint(written.anchor.publicKey)}\n`,
  );
  io.stdout.write(`${encodeAnchorPublicKey(written.anchor.publicKey)}\n`);
}

async function loadAnchor(path: string): Promise<SigningKeyPair> {
  try {
    return await readAnchorFile(path);
  } catch (error) {
    throw new UsageError(`cannot use --anchor '${path}': ${oneLine(error)}`, { cause: error });
  }
}

async function loadDeviceKeys(flag: string, path: string): Promise<{ encryptionKey: Uint8Array; signingKey: Uint8Array }> {
  try {
    return await readDevicePublicKeyFile(path);
  } catch (error) {
    throw new UsageError(`cannot use ${flag} '${path}': ${oneLine(error)}`, { cause: error });
  }
}

/** Runs `mqtt-e2ee endorse`: signs the device key pair with the anchor and writes the endorsement JSON. */
export async function runEndorse(options: EndorseOptions, io: CommandIo): Promise<void> {
  const anchor = await loadAnchor(options.anchor);
  const device = await loadDeviceKeys('--device-key', options.key);
  const now = Date.now();
  let endorsement: ReturnType<typeof endorseKey>;
  try {
    endorsement = endorseKey(anchor, { prefix: options.prefix, clientId: options.clientId, device, validFrom: now, validUntil: now + options.days * DAY_MS });
  } catch (error) {
    throw new UsageError(oneLine(error), { cause: error });
  }
  const json = `${new TextDecoder().decode(encodeEndorsement(endorsement))}\n`;
  if (options.out === undefined) {
    io.stdout.write(json);
  } else {
    await writeFile(options.out, json);
    io.stderr.write(`mqtt-e2ee endorse: wrote ${options.out} for client ${options.clientId}, key id ${keyIdHex(device.encryptionKey)}, valid ${options.days} days\n`);
  }
}

/** Runs `mqtt-e2ee revoke`: signs a revocation with the anchor and publishes it retained (or writes it with -o). */
export async function runRevoke(options: RevokeOptions, io: CommandIo): Promise<void> {
  const reporter = new Reporter(io.stderr, 'revoke', options.connection.debug);
  const anchor = await loadAnchor(options.anchor);
  const device = await loadDeviceKeys('--device-key', options.key);
  let payload: Uint8Array;
  try {
    payload = encodeRevocation(revokeKey(anchor, { prefix: options.prefix, clientId: options.clientId, device, revokedAt: Date.now(), reason: options.reason }));
  } catch (error) {
    throw new UsageError(oneLine(error), { cause: error });
  }
  const topic = revocationTopic(options.prefix, options.clientId, keyIdHex(device.encryptionKey));

  if (options.out !== undefined) {
    await writeFile(options.out, payload);
    io.stderr.write(`mqtt-e2ee revoke: wrote ${options.out}; publish it retained on ${topic}\n`);
    return;
  }

  const target = await brokerTarget(options.connection, { cleanSession: true, reconnectPeriodMs: 0 });
  reporter.debug(() => describeTarget(target, options.connection));
  let client: mqtt.MqttClient;
  try {
    client = await mqtt.connectAsync(target.url, target.mqtt, false);
  } catch (error) {
    throw new CommandError('ERR_CONNECT', oneLine(error), { cause: error });
  }
  try {
    await client.publishAsync(topic, Buffer.from(payload), { qos: 1, retain: true });
  } catch (error) {
    throw new CommandError('ERR_PUBLISH', oneLine(error), { cause: error });
  } finally {
    await client.endAsync().catch(() => undefined);
  }
  io.stderr.write(`mqtt-e2ee revoke: published the revocation of key id ${keyIdHex(device.encryptionKey)} of ${options.clientId} on ${topic}\n`);
}

/** Runs `mqtt-e2ee announce`: connects with key exchange, announces (or rotates) the own key and prints it. */
export async function runAnnounce(options: AnnounceOptions, io: CommandIo): Promise<void> {
  const reporter = new Reporter(io.stderr, 'announce', options.connection.debug);
  const target = await brokerTarget(options.connection, { cleanSession: true, reconnectPeriodMs: 0 });
  reporter.debug(() => describeTarget(target, options.connection));
  let client: E2eeClient;
  try {
    client = await connectE2ee(target.url, { identity: options.identity, keyExchange: keyExchangeOption(options.kx), mqtt: target.mqtt });
  } catch (error) {
    throw new CommandError(errorCode(error) ?? 'ERR_CONNECT', oneLine(error), { cause: error });
  }
  try {
    const kx = client.keyExchange;
    if (kx === undefined) throw new CommandError('ERR_KEY_EXCHANGE', 'key exchange did not start');
    const announcement = options.rotate ? await client.rotateKey() : await kx.announce();
    const verb = options.rotate ? 'rotated to' : 'announced';
    io.stderr.write(
      `mqtt-e2ee announce: ${verb} key id ${keyIdHex(announcement.encryptionKey)} for ${options.kx.clientId}, seq ${announcement.seq}, ` +
        `valid until ${new Date(announcement.validUntil).toISOString()}\n`,
    );
    io.stdout.write(`${signingKeyFingerprint(announcement.signingKey)}\n`);
  } finally {
    await closeClient(client);
  }
}
