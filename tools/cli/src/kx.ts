/** Key exchange flags shared by pub, sub and announce (spec/key-exchange-v1.md). */
import { NAME_REGEXP, TRUST_POLICIES, normalizePin, type TrustPolicy } from '@mqtt-e2ee/key-exchange';
import type { KeyExchangeOptions } from '@mqtt-e2ee/node-client';
import { stringList, stringValue, type OptionTable, type ParsedValues } from './argv.js';
import { UsageError, oneLine } from './errors.js';

export const KX_OPTIONS = {
  'client-id': { type: 'string' },
  policy: { type: 'string' },
  anchor: { type: 'string', multiple: true },
  pin: { type: 'string', multiple: true },
  endorsement: { type: 'string', multiple: true },
  prefix: { type: 'string' },
  'retain-unavailable': { type: 'string' },
} as const satisfies OptionTable;

/** Key exchange settings from the command line. */
export interface KxFlags {
  clientId: string;
  policy: TrustPolicy;
  anchors: string[];
  pins: Record<string, string[]>;
  endorsements: string[];
  prefix?: string;
  retainUnavailable?: 'fail' | 'request';
}

const DEPENDENT_FLAGS = ['policy', 'anchor', 'pin', 'endorsement', 'prefix', 'retain-unavailable'] as const;

/**
 * Parses the key exchange flags. Returns undefined without --client-id, and raises a usage error
 * when another key exchange flag is given without it.
 */
export function parseKxFlags(values: ParsedValues): KxFlags | undefined {
  const clientId = stringValue(values, 'client-id');
  if (clientId === undefined) {
    const stray = DEPENDENT_FLAGS.find((name) => values[name] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --client-id: pass the client id this client announces, e.g. --client-id alice`);
    return undefined;
  }
  checkClientId('--client-id', clientId);
  const anchors = stringList(values, 'anchor');
  const policy = parsePolicy(stringValue(values, 'policy') ?? (anchors.length > 0 ? 'anchor' : 'tofu'));
  if (policy === 'anchor' && anchors.length === 0) {
    throw new UsageError("--policy anchor needs --anchor: pass the anchor's public key file (NAME.pub from 'mqtt-e2ee anchor')");
  }
  const flags: KxFlags = { clientId, policy, anchors, pins: parsePins(stringList(values, 'pin')), endorsements: stringList(values, 'endorsement') };
  const prefix = stringValue(values, 'prefix');
  if (prefix !== undefined) flags.prefix = prefix;
  const retain = stringValue(values, 'retain-unavailable');
  if (retain !== undefined) {
    if (retain !== 'fail' && retain !== 'request') {
      throw new UsageError(`invalid value for --retain-unavailable: '${retain}'; pass fail or request`);
    }
    flags.retainUnavailable = retain;
  }
  return flags;
}

/** Checks a client id: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'. */
export function checkClientId(flag: string, value: string): string {
  if (!NAME_REGEXP.test(value)) {
    throw new UsageError(`invalid value for ${flag}: '${value.slice(0, 80)}'; a client id has 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'`);
  }
  return value;
}

function parsePolicy(value: string): TrustPolicy {
  if (!(TRUST_POLICIES as readonly string[]).includes(value)) {
    throw new UsageError(`invalid value for --policy: '${value}'; pass one of ${TRUST_POLICIES.join(', ')}`);
  }
  return value as TrustPolicy;
}

/** Parses --pin CLIENT=FINGERPRINT values, where FINGERPRINT is 64 hex characters or an mqe2e-sp1- key. */
function parsePins(values: readonly string[]): Record<string, string[]> {
  const pins: Record<string, string[]> = {};
  for (const value of values) {
    const separator = value.indexOf('=');
    const clientId = value.slice(0, separator);
    const pin = value.slice(separator + 1);
    if (separator < 1 || pin === '') {
      throw new UsageError(`invalid value for --pin: '${value.slice(0, 100)}'; pass CLIENT_ID=FINGERPRINT, e.g. --pin bob=<64 hex characters>`);
    }
    checkClientId('--pin', clientId);
    try {
      normalizePin(pin);
    } catch (error) {
      throw new UsageError(`invalid fingerprint for --pin ${clientId}: ${oneLine(error)}`, { cause: error });
    }
    (pins[clientId] ??= []).push(pin);
  }
  return pins;
}

/** Converts the flags to the keyExchange option of connectE2ee. */
export function keyExchangeOption(flags: KxFlags): KeyExchangeOptions {
  return {
    clientId: flags.clientId,
    policy: flags.policy,
    anchors: flags.anchors,
    pins: flags.pins,
    endorsements: flags.endorsements,
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(flags.retainUnavailable !== undefined ? { retainUnavailable: flags.retainUnavailable } : {}),
  };
}

export const KX_HELP = `Key exchange (finds keys by client id, see spec/key-exchange-v1.md):
      --client-id ID    client id this client announces its key under; turns
                        key exchange on (not the MQTT client id of -i)
      --policy POLICY   trust policy: tofu (pin the first key seen, reject a
                        key change without a signed rotation), pin (only
                        --pin keys), anchor (keys endorsed by --anchor), or
                        insecure (tests only) (default: anchor with --anchor,
                        otherwise tofu)
      --anchor FILE     trust anchor public key file (NAME.pub from
                        mqtt-e2ee anchor) or key line (mqe2e-ap1-...);
                        repeatable
      --pin ID=FP       pin client ID to a signing key fingerprint (64 hex)
                        or key line (mqe2e-sp1-...); repeatable
      --endorsement FILE
                        endorsement of your key from mqtt-e2ee endorse,
                        carried in your announcement; repeatable
      --prefix PREFIX   topic prefix of the key records (default: e2ee/v1)
      --retain-unavailable MODE
                        on a broker without retained messages: fail
                        (default) or request (ask peers to publish again)`;
