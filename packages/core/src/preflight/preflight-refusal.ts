import { KBackupError } from "../errors.js";
import { preflightErrors, type PreflightFinding } from "./findings.js";

/**
 * The error an operation refuses with when preflight checks found Errors: code PreconditionFailed,
 * a message listing every Error finding with its remedy, and all findings (Warnings too) in
 * `details.findings`.
 */
export function preflightRefusal(action: string, findings: readonly PreflightFinding[]): KBackupError {
  const errors = preflightErrors(findings);
  const lines = errors.map((finding, index) => `${index + 1}. [${finding.code}] ${finding.target}: ${finding.message} Remedy: ${finding.remedy}`);
  const message = `${action} refused: preflight checks found ${errors.length} error${errors.length === 1 ? "" : "s"} (pass skipValidation: true to go ahead anyway).\n${lines.join("\n")}`;
  return new KBackupError("PreconditionFailed", message, { details: { findings: [...findings] } });
}

/** Throws {@link preflightRefusal} when `findings` hold an Error; returns otherwise. */
export function refuseOnPreflightErrors(action: string, findings: readonly PreflightFinding[]): void {
  if (preflightErrors(findings).length > 0) throw preflightRefusal(action, findings);
}
