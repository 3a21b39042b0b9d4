import { isKBackupError } from "../errors.js";

/** Preflight checks turn what fails into findings, but an abort still stops them: rethrows an Aborted error. */
export function rethrowAbort(error: unknown): void {
  if (isKBackupError(error, "Aborted")) throw error;
}

/** An error's message, for a finding. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
