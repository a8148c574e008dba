/**
 * @module What the offline CLI commands (`user`, `keys`) may touch besides the data directory:
 * two output streams and the password on standard input. Passed in, so tests run the commands
 * in-process with captured output.
 */

export interface CliIo {
  /** Command output (stdout). */
  out(text: string): void;
  /** Errors and prompts (stderr). */
  err(text: string): void;
  /** The password given with `--password-stdin`; throws `PasswordInputError`. */
  readPassword(): Promise<string>;
}

/** Exit statuses of the offline commands, stated in the usage text. */
export const EXIT = {
  OK: 0,
  /** The command was understood but could not be done (no such user, name taken). */
  FAILED: 1,
  /** Bad usage or input (unknown command, missing flag, invalid name, weak password). */
  USAGE: 2,
} as const;
