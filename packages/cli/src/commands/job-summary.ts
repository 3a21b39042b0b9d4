import type { BackupJob } from "@kbackup/core";
import { formatBytes, textTable } from "../text-table.js";

/** A job as a short report: what, how it ended, its counts, errors and warnings. */
export function jobSummary(job: BackupJob): string {
  const rows: Array<[string, string | number | undefined]> = [
    ["job", job.jobId],
    ["operation", job.operation],
    ["status", job.status],
    ["instance", `${job.vaultName}/${job.backupInstanceFriendlyName}`],
    ["cluster", job.extendedInfo.recoveryDestination ?? job.dataSourceName],
    ["recovery point", job.extendedInfo.recoveryPointId],
    ["started", job.startTime],
    ["duration", job.duration],
  ];
  if (job.dataTransferredInBytes !== undefined) rows.push(["data transferred", formatBytes(job.dataTransferredInBytes)]);
  for (const [name, count] of Object.entries(job.extendedInfo.counts ?? {})) rows.push([name, count]);
  const lines = [textTable(["", ""], rows).split("\n").slice(2).join("\n").trimEnd()];
  for (const error of job.errorDetails ?? []) lines.push(`error: ${error.code}: ${error.message}${error.target ? ` (${error.target})` : ""}`);
  for (const warning of job.warningDetails ?? []) lines.push(`warning: ${warning.message}${warning.target ? ` (${warning.target})` : ""}`);
  return `${lines.join("\n")}\n`;
}
