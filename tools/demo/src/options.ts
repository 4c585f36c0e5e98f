import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The telemetry file shipped with the demo: a CSV header and 200 sensor readings. */
export const DEFAULT_FILE = fileURLToPath(new URL('../data/telemetry.csv', import.meta.url));

export interface DemoOptions {
  /** Broker URL to use instead of the embedded Aedes broker. */
  broker?: string;
  /** PEM file of the CA certificates that sign the certificate of `broker`. */
  cafile?: string;
  /** File to stream line by line and then as one message. */
  file: string;
  /** QoS level of every publish and of the subscriptions. */
  qos: 0 | 1 | 2;
}

export type ParsedDemoArgs = { help: true } | { help: false; options: DemoOptions };

export const DEMO_HELP = `Usage: npm run demo [-- options]
       pnpm demo [options]
       node tools/demo/dist/main.js [options]

Streams a file through an MQTT broker with end-to-end encryption and checks
that the recipient gets every byte while an eavesdropper on '#' sees none of
the plaintext. Without --broker it starts an embedded Aedes broker with TLS
on a free 127.0.0.1 port, using a throwaway CA.

Options:
  --broker URL     use this broker instead: mqtt://, mqtts://, ws:// or wss://
                   (for example mqtt://127.0.0.1:1883)
  --cafile FILE    PEM file of the CA certificates that sign the broker
                   certificate, for mqtts:// and wss:// (default: the CAs
                   that Node.js trusts); a relative path is taken from the
                   directory where you ran npm or pnpm
  --file PATH      file to stream (default: the shipped telemetry.csv); a
                   relative path is taken from the directory where you ran
                   npm or pnpm
  --qos QOS        QoS level 0, 1 or 2 of every message (default: 1)
  --help           print this help and exit

Exit status: 0 if every message arrived intact and no plaintext leaked,
1 otherwise, 2 on a usage error.
`;

/** A demo command line that cannot run; the message names the option and the fix. */
export class DemoUsageError extends Error {
  readonly code = 'ERR_USAGE';
  override readonly name = 'DemoUsageError';
}

/**
 * Parses the demo arguments. A leading `--`, which some package managers pass on
 * from `pnpm demo -- --broker URL`, is ignored.
 */
export function parseDemoArgs(argv: readonly string[]): ParsedDemoArgs {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  if (args.includes('--help')) return { help: true };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        broker: { type: 'string' },
        cafile: { type: 'string' },
        file: { type: 'string' },
        qos: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DemoUsageError(`${detail}; run with --help to list the options`, { cause: error });
  }
  const file = stringOption(values, 'file');
  const options: DemoOptions = { file: file === undefined ? DEFAULT_FILE : resolveInputFile('--file', file), qos: parseQos(values['qos']) };
  const broker = stringOption(values, 'broker');
  if (broker !== undefined) options.broker = checkBrokerUrl(broker);
  const cafile = stringOption(values, 'cafile');
  if (cafile !== undefined) {
    if (broker === undefined) {
      throw new DemoUsageError(
        `--cafile ${cafile} is used only with --broker, because the embedded broker brings its own CA: add --broker URL or drop --cafile`,
      );
    }
    options.cafile = resolveInputFile('--cafile', cafile);
  }
  return { help: false, options };
}

function stringOption(values: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const value = values[name];
  if (value === '') throw new DemoUsageError(`--${name} is empty; pass a value or drop the option`);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Resolves the file given to `flag` against the directory the user ran the command in and checks
 * that it is a readable regular file. npm and pnpm run scripts from the package root and pass
 * that directory in INIT_CWD, so the process cwd would be wrong.
 */
function resolveInputFile(flag: string, file: string): string {
  const path = resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
    if (isFile) accessSync(path, constants.R_OK);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read it (${String(code ?? 'stat failed')})`;
    throw new DemoUsageError(`invalid value for ${flag}: ${reason} at ${path}; check the path`, { cause: error });
  }
  if (!isFile) throw new DemoUsageError(`invalid value for ${flag}: ${path} is not a regular file; pass the path of a file`);
  return path;
}

function parseQos(value: string | boolean | undefined): 0 | 1 | 2 {
  if (value === undefined) return 1;
  if (value === '0' || value === '1' || value === '2') return Number(value) as 0 | 1 | 2;
  throw new DemoUsageError(`invalid value for --qos: expected 0, 1 or 2, got '${String(value)}'`);
}

function checkBrokerUrl(text: string): string {
  if (!/^(mqtts?|wss?):\/\/[^/]/i.test(text)) {
    const redactedUrl = text.replace(/\/\/[^@/]*@/, '//***@');
    throw new DemoUsageError(
      `invalid value for --broker: expected a URL such as mqtt://127.0.0.1:1883 (mqtt, mqtts, ws or wss), got '${redactedUrl}'`,
    );
  }
  return text;
}
