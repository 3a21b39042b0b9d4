import { isKBackupError, type KBackupErrorCode } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "./exit-codes.js";

/** What to do about each kind of failure, said after the error's own message. */
export const ERROR_HINTS: Record<KBackupErrorCode, string> = {
  InvalidArgument: "Fix the option or value named above; `kbackup <command> --help` lists the options.",
  NotFound: "Check the names: `kbackup list` shows the vault's instances and `kbackup list recovery-points` their recovery points; --store and --vault choose the vault.",
  AlreadyExists: "Choose another name, or use the one that exists.",
  PreconditionFailed: "A condition of the operation does not hold: fix what the message lists (checks that refused it), or, if another process changed the same object at the same time, run the command again.",
  Conflict: "The object is in a state that does not allow this (or another process changed it): check it with `kbackup list`, then run the command again.",
  Integrity: "Stored data is damaged: `kbackup verify --recovery-point all` shows which recovery points are affected; restore from an intact one.",
  Unsupported: "The store, cluster or snapshot provider cannot do this; the message says what it lacks.",
  PermissionDenied: "Check the credentials: the kubeconfig's user needs rights on the cluster, and the store needs read and write access (for azblob:// see `kbackup --help` for the credential variables).",
  Timeout: "The operation took too long: check the health of the cluster and the store, then try again.",
  Aborted: "The operation was interrupted: run it again to finish.",
  Adapter: "The cluster, store or snapshot provider reported an error; the message says which and why.",
  Expired: "A listing took too long and its continuation expired: run the command again.",
  Throttled: "The server is throttling requests: wait a minute and try again.",
  Unavailable: "The cluster or store could not be reached: check --kubeconfig, --context and --store, and the network.",
};

/** The lines to print for an error, and the exit code it calls for (bad arguments are bad usage). */
export function describeError(error: unknown): { lines: string[]; exitCode: ExitCode } {
  if (isKBackupError(error)) {
    return { lines: [`kbackup: ${error.message}`, `hint: ${ERROR_HINTS[error.code] ?? ""}`], exitCode: error.code === "InvalidArgument" ? EXIT_CODES.usage : EXIT_CODES.failure };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { lines: [`kbackup: unexpected error: ${message}`, "hint: this is a fault in kbackup; please report it with the command you ran."], exitCode: EXIT_CODES.failure };
}
