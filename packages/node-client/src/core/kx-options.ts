/**
 * Checks of the keyExchange option that the Node.js and browser clients share. Each platform
 * adds the fields that differ (state file or database, anchor and endorsement files).
 */
import { TRUST_POLICIES } from '@mqtt-e2ee/key-exchange';
import { InvalidOptionError, OptionRangeError } from './errors.js';
import type { KeyExchangeBaseOptions } from './kx.js';
import { checkKnownKeys, isPlainObject } from './validate.js';

/** Option keys of KeyExchangeBaseOptions, in the order of its declaration. */
export const KEY_EXCHANGE_BASE_KEYS = [
  'clientId',
  'policy',
  'prefix',
  'pins',
  'graceMs',
  'validityMs',
  'discoveryTimeoutMs',
  'retainUnavailable',
] as const;

/**
 * Checks that opts.keyExchange is an object with only the base keys and `extraKeys`, and a known
 * trust policy. Returns it typed as the caller's options.
 */
export function checkKeyExchangeObject<T extends KeyExchangeBaseOptions>(value: unknown, extraKeys: readonly string[]): T {
  if (!isPlainObject(value)) throw new InvalidOptionError('opts.keyExchange', 'an object with clientId and policy', value);
  checkKnownKeys(value, [...KEY_EXCHANGE_BASE_KEYS, ...extraKeys], 'opts.keyExchange');
  const options = value as unknown as T;
  if (!TRUST_POLICIES.includes(options.policy)) {
    throw new OptionRangeError('opts.keyExchange.policy', `one of ${TRUST_POLICIES.join(', ')}`, options.policy);
  }
  return options;
}

/** Returns the optional base settings that are set, ready to spread into createKeyExchange. */
export function keyExchangeSettings(options: KeyExchangeBaseOptions) {
  return {
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.pins !== undefined ? { pins: options.pins } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.validityMs !== undefined ? { validityMs: options.validityMs } : {}),
    ...(options.discoveryTimeoutMs !== undefined ? { discoveryTimeoutMs: options.discoveryTimeoutMs } : {}),
    ...(options.retainUnavailable !== undefined ? { retainUnavailable: options.retainUnavailable } : {}),
  };
}
