import { randomUUID } from "node:crypto";
import { isKBackupError } from "../errors.js";
import { finishJob, type BackupJob, type JobOperation } from "../jobs/job.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { Clock } from "../ports/clock.js";

/** Keeps a vault's jobs: starts them, records their end, and answers queries. */
export class JobRecorder {
  private readonly jobs = new Map<string, BackupJob>();

  constructor(
    private readonly vaultName: string,
    private readonly clock: Clock,
  ) {}

  start(operation: JobOperation, instanceName: string, cluster: ClusterClient, isUserTriggered = true): BackupJob {
    const job: BackupJob = {
      jobId: randomUUID(),
      operation,
      operationCategory: operation === "Backup" ? "Backup" : "Restore",
      status: "InProgress",
      isUserTriggered,
      backupInstanceFriendlyName: instanceName,
      dataSourceName: cluster.identity.name,
      dataSourceType: "Microsoft.ContainerService/managedClusters",
      ...(cluster.identity.region ? { dataSourceLocation: cluster.identity.region } : {}),
      vaultName: this.vaultName,
      startTime: this.clock.now().toISOString(),
      extendedInfo: { additionalDetails: {} },
    };
    this.jobs.set(job.jobId, job);
    return job;
  }

  save(job: BackupJob): BackupJob {
    this.jobs.set(job.jobId, job);
    return structuredClone(job);
  }

  /**
   * Ends a job that threw: Cancelled (and the abort rethrown) for an abort, else Failed with the
   * error's code and message, returned.
   */
  fail(job: BackupJob, error: unknown, now: Date): BackupJob {
    const aborted = isKBackupError(error, "Aborted") || (error instanceof Error && error.name === "AbortError");
    job.errorDetails = [{ code: isKBackupError(error) ? error.code : "Internal", message: error instanceof Error ? error.message : String(error) }];
    finishJob(job, aborted ? "Cancelled" : "Failed", now);
    this.save(job);
    if (aborted) throw error;
    return structuredClone(job);
  }

  get(jobId: string): BackupJob | undefined {
    const job = this.jobs.get(jobId);
    return job && structuredClone(job);
  }

  list(): BackupJob[] {
    return [...this.jobs.values()].map((job) => structuredClone(job));
  }
}
