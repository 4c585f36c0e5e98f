/** Exit status for success. */
export const EXIT_OK = 0;
/** Exit status for a failure at run time: connection refused, broker error, timeout. */
export const EXIT_FAILURE = 1;
/** Exit status for a command line that cannot run: unknown flag, missing or invalid value. */
export const EXIT_USAGE = 2;

/**
 * A command line that cannot run as written. The message is one line that names
 * the flag and the fix; the command prints it and exits with {@link EXIT_USAGE}.
 */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  override readonly name = 'UsageError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A failure after the command line was accepted, such as a refused connection,
 * a rejected subscription or a timeout. The command exits with {@link EXIT_FAILURE}.
 */
export class CommandError extends Error {
  readonly code: string;
  override readonly name = 'CommandError';

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Returns the stable `code` of an error when it has a string one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Secret key texts (X25519 mqe2e-sk, signing mqe2e-ss, anchor mqe2e-as), matched in any case and
 * with any version digit, so that a mistyped secret key is caught as well.
 */
const SECRET_KEY_TEXT = /mqe2e-(sk|ss|as)[a-z0-9_-]*/gi;

/**
 * Replaces every secret key text in `text` with its prefix and `<redacted>`. A bare prefix such
 * as `mqe2e-sk1-` with nothing after it reveals nothing and stays as it is.
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_KEY_TEXT, (match, kind: string) => {
    const prefix = `mqe2e-${kind.toLowerCase()}1-`;
    return match.toLowerCase() === prefix ? match : `${prefix}<redacted>`;
  });
}

/** Returns the message of an error on a single line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
