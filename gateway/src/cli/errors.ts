// Exit codes of the pledgeguard CLI: 0 ok, 1 a failed check or operation, 2 bad usage or config.
// Commands throw CliError with the code; the entry turns it into the message and exit status.

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE = EXIT_FAILED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Bad usage or configuration (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}
