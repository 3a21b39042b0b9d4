/** The exit codes of `kbackup`: scripts tell success, warnings, failure and misuse apart by them. */
export const EXIT_CODES = {
  /** Everything worked. */
  ok: 0,
  /** The operation failed (a job Failed, a recovery point failed verification, an error). */
  failure: 1,
  /** The operation completed with warnings (a job CompletedWithWarnings, compliance findings). */
  warnings: 2,
  /** Bad usage: an unknown command or option, a missing or bad argument (sysexits' EX_USAGE). */
  usage: 64,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit code a job's status calls for. */
export function exitCodeOfStatus(status: string): ExitCode {
  if (status === "Completed") return EXIT_CODES.ok;
  if (status === "CompletedWithWarnings") return EXIT_CODES.warnings;
  return EXIT_CODES.failure;
}
