import { readFileSync } from 'node:fs';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, errorCode, oneLine, redactSecrets } from './errors.js';
import { ANCHOR_HELP, ANNOUNCE_HELP, ENDORSE_HELP, KEYGEN_HELP, MAIN_HELP, PUB_HELP, REVOKE_HELP, SUB_HELP } from './help.js';
import { flush, type CommandIo } from './io.js';
import { runKeygen } from './keygen.js';
import {
  parseAnchorArgs,
  parseAnnounceArgs,
  parseEndorseArgs,
  parseRevokeArgs,
  runAnchor,
  runAnnounce,
  runEndorse,
  runRevoke,
  type AnchorOptions,
  type AnnounceOptions,
  type EndorseOptions,
  type RevokeOptions,
} from './kx-commands.js';
import { parseKeygenArgs, parsePubArgs, parseSubArgs, type KeygenOptions, type Parsed, type PubOptions, type SubOptions } from './parse.js';
import { runPub } from './pub.js';
import { runSub } from './sub.js';

interface Command<T> {
  help: string;
  parse(args: readonly string[]): Parsed<T>;
  run(options: T, io: CommandIo): Promise<void>;
}

const KEYGEN: Command<KeygenOptions> = { help: KEYGEN_HELP, parse: parseKeygenArgs, run: runKeygen };
const PUB: Command<PubOptions> = { help: PUB_HELP, parse: parsePubArgs, run: runPub };
const SUB: Command<SubOptions> = { help: SUB_HELP, parse: parseSubArgs, run: runSub };
const ANCHOR: Command<AnchorOptions> = { help: ANCHOR_HELP, parse: parseAnchorArgs, run: runAnchor };
const ENDORSE: Command<EndorseOptions> = { help: ENDORSE_HELP, parse: parseEndorseArgs, run: runEndorse };
const REVOKE: Command<RevokeOptions> = { help: REVOKE_HELP, parse: parseRevokeArgs, run: runRevoke };
const ANNOUNCE: Command<AnnounceOptions> = { help: ANNOUNCE_HELP, parse: parseAnnounceArgs, run: runAnnounce };

/**
 * Runs the command line `args` (without the node and script paths) and returns the exit
 * status: 0 on success, 1 on a failure at run time, 2 on a usage error. Errors are printed
 * to stderr as one line; nothing is thrown.
 */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === 'help') {
    io[name === undefined ? 'stderr' : 'stdout'].write(MAIN_HELP);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version') {
    io.stdout.write(`mqtt-e2ee ${packageVersion()}\n`);
    return EXIT_OK;
  }
  switch (name) {
    case 'keygen':
      return execute(name, KEYGEN, rest, io);
    case 'pub':
      return execute(name, PUB, rest, io);
    case 'sub':
      return execute(name, SUB, rest, io);
    case 'anchor':
      return execute(name, ANCHOR, rest, io);
    case 'endorse':
      return execute(name, ENDORSE, rest, io);
    case 'revoke':
      return execute(name, REVOKE, rest, io);
    case 'announce':
      return execute(name, ANNOUNCE, rest, io);
    default:
      io.stderr.write(
        redactSecrets(`mqtt-e2ee: unknown command '${name}'; use keygen, pub, sub, anchor, endorse, revoke or announce (see 'mqtt-e2ee --help')\n`),
      );
      return EXIT_USAGE;
  }
}

async function execute<T>(name: string, command: Command<T>, args: readonly string[], io: CommandIo): Promise<number> {
  try {
    const parsed = command.parse(args);
    if (parsed.help) {
      io.stdout.write(command.help);
      return EXIT_OK;
    }
    await command.run(parsed.options, io);
    return EXIT_OK;
  } catch (error) {
    // Messages are written not to contain secret keys; redacting here catches any that slip through.
    io.stderr.write(redactSecrets(`mqtt-e2ee ${name}: ${describeFailure(error)}\n`));
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    await flush(io.stdout);
  }
}

function describeFailure(error: unknown): string {
  const message = oneLine(error);
  const code = errorCode(error);
  if (error instanceof UsageError || code === undefined) return message;
  return `${message} (${code})`;
}

/** Reads the version from the package.json next to src/ and dist/. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}
