/**
 * The keyExchange option of connectE2ee on Node.js: the signing identity, endorsement and anchor
 * files, and the state file beside the identity (spec/key-exchange-v1.md, "State").
 */
import { readFile } from 'node:fs/promises';
import { E2eeError, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import {
  createKeyExchange,
  hasSigningKey,
  parseEndorsement,
  type DeviceIdentity,
  type Endorsement,
  type KeyExchange,
  type KeyExchangeStateParts,
} from '@mqtt-e2ee/key-exchange';
import {
  loadOrCreateDeviceIdentity,
  readAnchorPublicKeyFile,
  readStateFile,
  stateFilePath,
  StateFileWriter,
  writeIdentityFiles,
} from '@mqtt-e2ee/key-exchange/fs';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { OptionFileError, OptionRangeError } from './core/errors.js';
import { mqttTransport, type KeyExchangeBaseOptions } from './core/kx.js';
import { checkKeyExchangeObject, keyExchangeSettings } from './core/kx-options.js';
import { asBuffer } from './payload.js';

/** Options of key exchange: discovery of peers by client id, trust, rotation and groups. */
export interface KeyExchangeOptions extends KeyExchangeBaseOptions {
  /** Trust anchors: "mqe2e-ap1-…" texts, raw keys, or paths of anchor .pub files. */
  anchors?: readonly (string | Uint8Array)[];
  /** Endorsements of the own key: objects or paths of endorsement JSON files from `mqtt-e2ee endorse`. */
  endorsements?: readonly (Endorsement | string)[];
  /** State file path, or false for no state file. Default: BASE.state.json beside an identity file BASE.key. */
  stateFile?: string | false;
}


/** Key exchange ready to attach: the identity with its signing key and a factory for the client. */
export interface ResolvedKeyExchange {
  identity: DeviceIdentity;
  create(mqtt: MqttClient): KeyExchange<IPublishPacket>;
}

/**
 * Resolves the keyExchange option. An identity file without a signing key is upgraded in place
 * (a second line is added); an identity object must already have one.
 */
export async function resolveKeyExchange(
  value: unknown,
  identityOption: unknown,
  identity: KeyPair,
  provider: CryptoProvider | undefined,
): Promise<ResolvedKeyExchange> {
  const options = checkKeyExchangeObject<KeyExchangeOptions>(value, ['anchors', 'endorsements', 'stateFile']);
  const basePath = typeof identityOption === 'string' && identityOption.endsWith('.key') ? identityOption.slice(0, -4) : undefined;
  const device = await signingIdentity(identityOption, identity, basePath, provider);
  const statePath = options.stateFile === false ? undefined : options.stateFile ?? (basePath === undefined ? undefined : stateFilePath(basePath));
  const state = statePath === undefined ? undefined : await readStateFile(statePath);
  const anchors = await Promise.all((options.anchors ?? []).map((anchor, index) => readAnchor(anchor, index)));
  const endorsements = await Promise.all((options.endorsements ?? []).map((e, index) => readEndorsement(e, index)));
  return {
    identity: device,
    create: (mqtt) => {
      let writer: StateFileWriter | undefined;
      const kx = createKeyExchange<IPublishPacket>({
        ...keyExchangeSettings(options),
        transport: mqttTransport(mqtt, asBuffer),
        clientId: options.clientId,
        identity: device,
        policy: options.policy,
        anchors,
        endorsements,
        ...(state !== undefined ? { state: state as KeyExchangeStateParts } : {}),
        ...(provider !== undefined ? { provider } : {}),
        persistRotation: async (next) => {
          // The state (with the retired key and the rotation link) is saved before the key file,
          // so the retired key stays usable whatever the key file holds.
          await writer?.save();
          if (basePath !== undefined) await writeIdentityFiles(basePath, { identity: next, overwrite: true });
        },
      });
      if (statePath !== undefined) {
        writer = new StateFileWriter(statePath, () => ({ v: 1, ...kx.exportState() }));
        const save = writer;
        // NOTE: a failed background save is not reported; the next change or rotation saves again.
        kx.events.on('state', () => void save.save().catch(() => undefined));
        kx.onFlush(() => save.save());
      }
      return kx;
    },
  };
}


/**
 * Creates BASE.key and BASE.pub with a signing key when the identity option is the path of a
 * .key file that does not exist yet, and adds a signing key to a version 1 file.
 */
export async function prepareIdentityFile(option: unknown, provider: CryptoProvider | undefined): Promise<void> {
  if (typeof option !== 'string' || !option.endsWith('.key')) return;
  const basePath = option.slice(0, -4);
  try {
    await (provider === undefined ? loadOrCreateDeviceIdentity(basePath) : loadOrCreateDeviceIdentity(basePath, provider));
  } catch (error) {
    if (error instanceof E2eeError) throw error;
    throw new OptionFileError('opts.identity', option, error);
  }
}

async function signingIdentity(
  option: unknown,
  identity: KeyPair,
  basePath: string | undefined,
  provider: CryptoProvider | undefined,
): Promise<DeviceIdentity> {
  if (hasSigningKey(identity)) return identity;
  if (typeof option === 'object' && option !== null && hasSigningKey(option as KeyPair)) return option as DeviceIdentity;
  if (basePath !== undefined) return provider === undefined ? loadOrCreateDeviceIdentity(basePath) : loadOrCreateDeviceIdentity(basePath, provider);
  throw new OptionRangeError(
    'opts.identity',
    'an identity with a signing key when opts.keyExchange is set: a .key file path, or an object from generateDeviceIdentity()',
    option,
  );
}

async function readAnchor(anchor: string | Uint8Array, index: number): Promise<string | Uint8Array> {
  if (typeof anchor !== 'string' || anchor.startsWith('mqe2e-')) return anchor;
  try {
    return await readAnchorPublicKeyFile(anchor);
  } catch (error) {
    throw new OptionFileError(`opts.keyExchange.anchors[${index}]`, anchor, error);
  }
}

async function readEndorsement(value: Endorsement | string, index: number): Promise<Endorsement> {
  if (typeof value !== 'string') return value;
  try {
    return parseEndorsement(await readFile(value));
  } catch (error) {
    throw new OptionFileError(`opts.keyExchange.endorsements[${index}]`, value, error);
  }
}
