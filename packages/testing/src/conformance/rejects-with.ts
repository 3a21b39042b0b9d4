import { strict as assert } from "node:assert";
import { isKBackupError, type KBackupError, type KBackupErrorCode } from "@kbackup/core";

/**
 * Asserts that `call` rejects with a KBackupError of `code`, and returns it; the assertion's
 * message says `what` was attempted and what happened instead. Shared by the conformance suites.
 */
export async function rejectsWith(call: () => Promise<unknown>, code: KBackupErrorCode, what: string): Promise<KBackupError> {
  let outcome: { error: unknown } | undefined;
  try {
    await call();
  } catch (error) {
    outcome = { error };
  }
  assert.ok(outcome, `${what}: expected ${code}, but it succeeded`);
  const error = outcome.error;
  assert.ok(isKBackupError(error, code), `${what}: expected ${code}, got ${describeError(error)}`);
  return error;
}

/** An error as an assertion message shows it. */
export function describeError(error: unknown): string {
  if (isKBackupError(error)) return `KBackupError ${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
