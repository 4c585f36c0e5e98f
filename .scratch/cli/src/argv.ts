import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, errorCode, oneLine } from './errors.js';

export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** Values of a parsed command line: strings, booleans and arrays of strings for repeatable options. */
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Parses `args` against `options` in strict mode and turns every parser error into
 * a one-line {@link UsageError} that names the flag and the fix. A flag that is
 * not repeatable and appears twice is rejected instead of keeping the last value.
 */
export function parseCommandLine(command: string, args: readonly string[], options: OptionTable): ParsedValues {
  let parsed: ReturnType<typeof parseStrict>;
  try {
    parsed = parseStrict(args, options);
  } catch (error) {
    throw translateParseError(command, args, options, error);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (options[token.name]?.multiple === true) continue;
    if (seen.has(token.name)) {
      throw new UsageError(`${flagName(token.name, options)} given more than once; pass it once`);
    }
    seen.add(token.name);
  }
  return parsed.values as ParsedValues;
}

function parseStrict(args: readonly string[], options: OptionTable) {
  return parseArgs({ args: [...args], options, strict: true, allowPositionals: false, tokens: true });
}

/** Spells an option the way help text does: `-t/--topic`, or `--identity` when it has no short form. */
export function flagName(name: string, options: OptionTable): string {
  const short = options[name]?.short;
  return short === undefined ? `--${name}` : `-${short}/--${name}`;
}

function translateParseError(command: string, args: readonly string[], options: OptionTable, error: unknown): Error {
  const code = errorCode(error);
  const quoted = /'([^']*)'/.exec(oneLine(error))?.[1] ?? '';
  const help = `run 'mqtt-e2ee ${command} --help' to list the options`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new UsageError(`unknown option '${quoted}'; ${help}`, { cause: error });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const previous = args[args.indexOf(quoted) - 1];
    const hint = previous?.startsWith('-') === true ? ` (a value after ${previous}, which takes none?)` : '';
    return new UsageError(`unexpected argument '${quoted}'${hint}: ${command} takes only options; ${help}`, {
      cause: error,
    });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = optionNameOf(quoted, options);
    const flag = name === undefined ? quoted : flagName(name, options);
    if (/ambiguous/.test(oneLine(error)) && name !== undefined) {
      return new UsageError(
        `the value after ${flag} starts with '-'; write it as --${name}=-VALUE, or add the missing value`,
        { cause: error },
      );
    }
    return new UsageError(`${flag} requires a value; ${help}`, { cause: error });
  }
  return new UsageError(`${oneLine(error)}; ${help}`, { cause: error });
}

/** Finds the option name behind a node:util message fragment such as `-t, --topic <value>` or `-m`. */
function optionNameOf(fragment: string, options: OptionTable): string | undefined {
  const long = /--([\w-]+)/.exec(fragment)?.[1];
  if (long !== undefined && long in options) return long;
  const short = /^-(\w)/.exec(fragment)?.[1];
  return Object.keys(options).find((name) => options[name]?.short === short);
}

export function stringValue(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanValue(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}

export function stringList(values: ParsedValues, name: string): string[] {
  const value = values[name];
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === 'string');
}
