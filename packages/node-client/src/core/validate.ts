/** Small validators for options: wrong type is an InvalidOptionError, wrong value an OptionRangeError. */
import { InvalidOptionError, OptionRangeError } from './errors.js';

/** MQTT quality of service level. */
export type QoS = 0 | 1 | 2;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks that `value` is undefined or a plain object, and returns it. */
export function checkOptionalObject(
  value: unknown,
  option: string,
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new InvalidOptionError(option, 'an object', value);
  return value;
}

/** Checks a QoS level; undefined becomes 0. */
export function checkQos(value: unknown, option: string): QoS {
  if (value === undefined) return 0;
  if (typeof value !== 'number') {
    throw new InvalidOptionError(option, 'a QoS level 0, 1 or 2', value);
  }
  if (value !== 0 && value !== 1 && value !== 2) {
    throw new OptionRangeError(option, 'a QoS level 0, 1 or 2', value);
  }
  return value;
}

/** Checks an optional boolean; undefined becomes `fallback`. */
export function checkBoolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, 'a boolean', value);
  return value;
}

/** Checks an optional integer within [min, max]. */
export function checkOptionalInteger(
  value: unknown,
  option: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new InvalidOptionError(option, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionRangeError(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** Checks an optional non-empty string, such as a file path. */
export function checkOptionalString(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidOptionError(option, 'a string', value);
  if (value.length === 0) throw new OptionRangeError(option, 'a non-empty string', value);
  return value;
}

/** Throws when `object` has a key that is not in `known`, so typos do not pass silently. */
export function checkKnownKeys(
  object: Record<string, unknown>,
  known: readonly string[],
  option: string,
): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new OptionRangeError(
        `${option}.${key}`,
        `absent: ${option} accepts ${known.map((k) => `'${k}'`).join(', ')}`,
        object[key],
      );
    }
  }
}
