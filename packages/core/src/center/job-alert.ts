import type { BackupJob, JobOperation } from "../jobs/job.js";
import type { Logger } from "../ports/logger.js";

/** An alert the backup center raises: a job that failed. */
export interface JobAlert {
  /** `job-failed/<jobId>`: the same failure never alerts twice. */
  alertId: string;
  severity: "Error";
  vaultName: string;
  instanceName: string;
  operation: JobOperation;
  jobId: string;
  /** When the job ended (its start, if it has no end). */
  time: string;
  /** The first error's code and message. */
  code: string;
  message: string;
  job: BackupJob;
}

/** Receives alerts; what it throws is logged and does not stop the others. */
export type JobAlertListener = (alert: JobAlert) => void;

/** The alert for a failed job. */
export function failedJobAlert(job: BackupJob): JobAlert {
  const first = job.errorDetails?.[0];
  return {
    alertId: `job-failed/${job.jobId}`,
    severity: "Error",
    vaultName: job.vaultName,
    instanceName: job.backupInstanceFriendlyName,
    operation: job.operation,
    jobId: job.jobId,
    time: job.endTime ?? job.startTime,
    code: first?.code ?? "Failed",
    message: `${job.operation} of ${job.vaultName}/${job.backupInstanceFriendlyName} failed${first ? `: ${first.message}` : ""}`,
    job: structuredClone(job),
  };
}

/** The listeners of a center, each told every alert in turn. */
export class AlertListeners {
  private readonly listeners = new Set<JobAlertListener>();

  constructor(private readonly logger: Logger) {}

  /** Adds a listener; returns the function that removes it. */
  add(listener: JobAlertListener): () => void {
    // Wrapped, so that one function added twice is told twice and removed once per call.
    const entry: JobAlertListener = (alert) => listener(alert);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** Tells every listener `alert`, in the order they were added; a listener that throws is logged and the others are still told. */
  emit(alert: JobAlert): void {
    for (const listener of this.listeners) {
      try {
        listener(alert);
      } catch (error) {
        this.logger.warn("An alert listener threw.", { alertId: alert.alertId, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
