import type { BackupJob } from "../jobs/job.js";
import { toCsv } from "./csv.js";

/** The columns of a job export in CSV, in order. */
export const JOB_CSV_COLUMNS = [
  "jobId",
  "vaultName",
  "backupInstanceFriendlyName",
  "dataSourceName",
  "operation",
  "status",
  "isUserTriggered",
  "policyName",
  "startTime",
  "endTime",
  "duration",
  "dataTransferredInBytes",
  "recoveryPointId",
  "errorCodes",
  "errorMessages",
  "warningCount",
] as const;

function row(job: BackupJob): unknown[] {
  const errors = job.errorDetails ?? [];
  return [
    job.jobId,
    job.vaultName,
    job.backupInstanceFriendlyName,
    job.dataSourceName,
    job.operation,
    job.status,
    job.isUserTriggered,
    job.policyName,
    job.startTime,
    job.endTime,
    job.duration,
    job.dataTransferredInBytes,
    job.extendedInfo.recoveryPointId,
    errors.map((error) => error.code).join(";"),
    errors.map((error) => error.message).join("\n"),
    job.warningDetails?.length ?? 0,
  ];
}

/** Jobs as RFC 4180 CSV with the {@link JOB_CSV_COLUMNS}; several errors of a job are joined (codes by `;`, messages by line breaks). */
export function jobsToCsv(jobs: Iterable<BackupJob>): string {
  function* rows() {
    for (const job of jobs) yield row(job);
  }
  return toCsv(JOB_CSV_COLUMNS, rows());
}

/** Jobs as a JSON array of Azure-shaped job objects, indented for reading. */
export function jobsToJson(jobs: Iterable<BackupJob>): string {
  return `${JSON.stringify([...jobs], null, 2)}\n`;
}
