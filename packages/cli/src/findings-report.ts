import { isKBackupError, type PreflightFinding } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "./exit-codes.js";
import type { Session } from "./session.js";
import { fittedColumnWidths, wrappedTextTable, wrapText } from "./text-table.js";

/** What `kbackup validate` prints with `--json`, and a refused backup or restore with `--json`. */
export interface FindingsReport {
  /** What was checked: a backup (of an instance, or of a cluster to protect) or a restore. */
  operation: "backup" | "restore";
  /** The check run: `validateForBackup` (a protected instance), `validateForProtection` or `validateRestore`. */
  check: "validateForBackup" | "validateForProtection" | "validateRestore";
  instance: string;
  /** The cluster backed up, or restored into. */
  cluster: string;
  /** The recovery point of a restore. */
  recoveryPointId?: string;
  /** How many findings are Errors, and how many Warnings. */
  errors: number;
  warnings: number;
  /** Every finding, Errors first. */
  findings: PreflightFinding[];
}

/** The report of `findings`, counted. */
export function findingsReport(subject: Omit<FindingsReport, "errors" | "warnings" | "findings">, findings: readonly PreflightFinding[]): FindingsReport {
  const errors = findings.filter((finding) => finding.severity === "Error").length;
  return { ...subject, errors, warnings: findings.length - errors, findings: [...findings] };
}

/** The exit code of a report: 1 when a finding is an Error, 0 otherwise (Warnings only, or none). */
export function exitCodeOfFindings(report: FindingsReport): ExitCode {
  return report.errors > 0 ? EXIT_CODES.failure : EXIT_CODES.ok;
}

const FINDING_COLUMNS = ["severity", "code", "target", "message", "remedy"];

/** The narrowest the message and remedy columns may be; on a narrower terminal, findings are listed. */
const MIN_TEXT_COLUMN = 24;

/**
 * The findings within `width` columns: a table (severity, code, target, message, remedy; long
 * targets, messages and remedies wrap in their cells), or, where that would leave the message and
 * remedy too narrow to read, each finding's severity, code and target on a line with its message
 * and remedy wrapped below. "" for no findings.
 */
export function findingsTable(findings: readonly PreflightFinding[], width: number): string {
  if (findings.length === 0) return "";
  const rows = findings.map((finding) => [finding.severity, finding.code, finding.target, finding.message, finding.remedy]);
  const options = { width, wrap: [2, 3, 4], minColumnWidth: 12 };
  const widths = fittedColumnWidths(FINDING_COLUMNS, rows, options);
  if (Math.min(widths[3] as number, widths[4] as number) >= MIN_TEXT_COLUMN) return wrappedTextTable(FINDING_COLUMNS, rows, options);
  const indented = (text: string) => wrapText(text, width - 2).map((line) => `  ${line}`);
  const blocks = findings.map((finding) => {
    const head = `${finding.severity}  ${finding.code}  ${finding.target}`;
    const heading = head.length <= width ? [head] : [`${finding.severity}  ${finding.code}`, ...indented(finding.target)];
    return [...heading, ...indented(finding.message), ...indented(`Remedy: ${finding.remedy}`)].join("\n");
  });
  return `${blocks.join("\n\n")}\n`;
}

/** `2 errors, 1 warning`. */
export function countsText(report: FindingsReport): string {
  const plural = (count: number, word: string) => `${count === 0 ? "no" : count} ${word}${count === 1 ? "" : "s"}`;
  const text = `${plural(report.errors, "error")}, ${plural(report.warnings, "warning")}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The findings of a preflight refusal: a PreconditionFailed error with `details.findings`;
 * undefined for any other error.
 */
export function refusedFindings(error: unknown): PreflightFinding[] | undefined {
  if (!isKBackupError(error, "PreconditionFailed")) return undefined;
  const findings = error.details?.findings;
  return Array.isArray(findings) ? (findings as PreflightFinding[]) : undefined;
}

/**
 * Tells of a backup or restore the preflight checks refused: with `--json`, the report on standard
 * output; the refusal, the findings table (without `--json`) and what to do on standard error.
 * Returns the exit code of a failure.
 */
export function printRefusal(session: Session, action: string, report: FindingsReport): ExitCode {
  if (session.options.json) session.printJson(report);
  session.note(`kbackup: ${action} refused: the preflight checks found ${countsText(report).toLowerCase()}.`);
  if (!session.options.json) session.note(findingsTable(report.findings, session.width).trimEnd());
  const validate = report.operation === "restore" ? `kbackup validate restore ${report.recoveryPointId ?? "<recoveryPointId>"}` : "kbackup validate backup";
  session.note(`hint: Fix what the findings say and check again with \`${validate}\` (with the same options), or pass --skip-validation to go ahead anyway.`);
  return EXIT_CODES.failure;
}
