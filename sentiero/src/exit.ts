/** The command-line tool's exit codes and its coded error (docs/cli.md lists both). */

/** What the `sentiero` process exits with. */
export const ExitCode = {
  OK: 0,
  /** Anything else that went wrong (an I/O error, a relay that answered 5xx or cannot be reached). */
  FAILURE: 1,
  /** Bad arguments or options. */
  USAGE: 2,
  /** The data folder does not exist. */
  DATA_MISSING: 3,
  /** The data folder is in use by a running relay. */
  STORE_LOCKED: 4,
  /** No such session. */
  NOT_FOUND: 5,
  /** The file to import is not an rrweb recording. */
  INVALID_INPUT: 6,
  /** `doctor` found a problem. */
  CHECK_FAILED: 7,
  /** The port `serve` should listen on is taken. */
  PORT_IN_USE: 8,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the tool reports as `message [code]` and exits with `exit`. */
export class CliError extends Error {
  /** The documented code, e.g. `SENTIERO_CLI_STORE_LOCKED`. */
  readonly code: string;
  /** The process exit code. */
  readonly exit: ExitCode;

  /** True when the command already printed its JSON answer (which says what failed). */
  readonly printed: boolean;

  constructor(code: string, exit: ExitCode, message: string, options: { printed?: boolean } = {}) {
    super(message);
    this.printed = options.printed ?? false;
    this.name = 'CliError';
    this.code = code;
    this.exit = exit;
  }
}
