/** A job's state, with Azure's names. */
export type JobStatus = "InProgress" | "Completed" | "CompletedWithWarnings" | "Failed" | "Cancelled";

/** What a job does: a backup, a restore, or a restore's plan (`PlanRestore`, which writes nothing to the cluster). */
export type JobOperation = "Backup" | "Restore" | "PlanRestore";

/** An error or warning on a job, shaped like Azure's `UserFacingError`. */
export interface JobDetail {
  code: string;
  message: string;
  target?: string;
}

/**
 * A backup or restore job, with the fields of Azure's `AzureBackupJob` so that tools reading
 * Azure's jobs read these too. `extendedInfo` holds what the job did in detail.
 */
export interface BackupJob {
  jobId: string;
  operation: JobOperation;
  operationCategory: "Backup" | "Restore";
  status: JobStatus;
  isUserTriggered: boolean;
  backupInstanceFriendlyName: string;
  dataSourceName: string;
  dataSourceType: "Microsoft.ContainerService/managedClusters";
  dataSourceLocation?: string;
  vaultName: string;
  policyName?: string;
  startTime: string;
  endTime?: string;
  /** Elapsed time as a TimeSpan, `hh:mm:ss.fff` (Azure's form). */
  duration?: string;
  dataTransferredInBytes?: number;
  errorDetails?: JobDetail[];
  warningDetails?: JobDetail[];
  extendedInfo: JobExtendedInfo;
}

/** A job's details beyond its summary (Azure's `JobExtendedInfo`): the recovery point, per-item and hook results, counts. */
export interface JobExtendedInfo {
  recoveryPointId?: string;
  recoveryPointTime?: string;
  /** The cluster a restore went to. */
  recoveryDestination?: string;
  additionalDetails: Record<string, string>;
  /** Per-item results of a restore (and its plan). */
  itemResults?: unknown[];
  /** Hook executions. */
  hookResults?: unknown[];
  /** Counts of what the job did. */
  counts?: Record<string, number>;
  /** For a scheduled backup: the scheduled times since the previous one that got no backup (at most 100 listed). */
  missedScheduledTimes?: string[];
  /** How many scheduled times since the previous scheduled backup got no backup. */
  missedScheduledCount?: number;
}

/** `hh:mm:ss.fff` from milliseconds. */
export function formatTimeSpan(milliseconds: number): string {
  const total = Math.max(0, Math.round(milliseconds));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  const millis = total % 1000;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(hours)}:${two(minutes)}:${two(seconds)}.${String(millis).padStart(3, "0")}`;
}

/** Sets the end of a job: status, end time and duration. */
export function finishJob(job: BackupJob, status: JobStatus, end: Date): void {
  job.status = status;
  job.endTime = end.toISOString();
  job.duration = formatTimeSpan(end.getTime() - Date.parse(job.startTime));
}
