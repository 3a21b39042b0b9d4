import { randomUUID } from "node:crypto";
import { KBackupError, isKBackupError } from "../errors.js";
import { finishJob, type BackupJob, type JobOperation } from "../jobs/job.js";
import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { Clock } from "../ports/clock.js";
import type { ObjectStore } from "../ports/object-store.js";
import { compactTime } from "./catalogue-records.js";
import { createJson, listKeys, readJson, replaceJson } from "./json-objects.js";

/** How a job is started. */
export interface StartJobOptions {
  isUserTriggered?: boolean;
  policyName?: string;
  abortSignal?: AbortSignal;
}

interface Held {
  job: BackupJob;
  key: string;
  etag: string;
}

/**
 * Keeps a vault's jobs, each as its own object under `prefix` (`<start time>-<job id>.json`), so that
 * many jobs never rewrite one large object: a job is created when it starts and replaced once when
 * it ends. Answers queries from the jobs this process started or loaded.
 */
export class JobRecorder {
  private readonly jobs = new Map<string, Held>();

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly vaultName: string,
    private readonly clock: Clock,
  ) {}

  /** Starts a job, InProgress, and stores it. */
  async start(operation: JobOperation, instanceName: string, cluster: ClusterIdentity, options: StartJobOptions = {}): Promise<BackupJob> {
    const job: BackupJob = {
      jobId: randomUUID(),
      operation,
      operationCategory: operation === "Backup" ? "Backup" : "Restore",
      status: "InProgress",
      isUserTriggered: options.isUserTriggered ?? true,
      backupInstanceFriendlyName: instanceName,
      dataSourceName: cluster.name,
      dataSourceType: "Microsoft.ContainerService/managedClusters",
      ...(cluster.region ? { dataSourceLocation: cluster.region } : {}),
      vaultName: this.vaultName,
      ...(options.policyName ? { policyName: options.policyName } : {}),
      startTime: this.clock.now().toISOString(),
      extendedInfo: { additionalDetails: {} },
    };
    const key = `${this.prefix}${compactTime(new Date(job.startTime))}-${job.jobId}.json`;
    const etag = await createJson(this.store, key, job, options.abortSignal);
    this.jobs.set(job.jobId, { job, key, etag });
    return job;
  }

  /** Stores the job as it now is (its end) and returns a copy. NotFound for a job this recorder did not start. */
  async save(job: BackupJob): Promise<BackupJob> {
    const held = this.jobs.get(job.jobId);
    if (!held) throw new KBackupError("NotFound", `The job ${job.jobId} was not started by this vault.`);
    held.job = job;
    held.etag = await replaceJson(this.store, held.key, job, held.etag);
    return structuredClone(job);
  }

  /**
   * Ends a job that threw: Cancelled (and the abort rethrown) for an abort, else Failed with the
   * error's code and message, returned.
   */
  async fail(job: BackupJob, error: unknown, now: Date): Promise<BackupJob> {
    const aborted = isKBackupError(error, "Aborted") || (error instanceof Error && error.name === "AbortError");
    job.errorDetails = [{ code: isKBackupError(error) ? error.code : "Internal", message: error instanceof Error ? error.message : String(error) }];
    finishJob(job, aborted ? "Cancelled" : "Failed", now);
    const saved = await this.save(job);
    if (aborted) throw error;
    return saved;
  }

  /**
   * Reads the jobs stored by others: those not seen yet, and those seen InProgress (they may have
   * ended since).
   */
  async load(abortSignal?: AbortSignal): Promise<void> {
    const known = new Map([...this.jobs.values()].map((held) => [held.key, held]));
    for (const key of await listKeys(this.store, this.prefix, abortSignal)) {
      const held = known.get(key);
      if (held && held.job.status !== "InProgress") continue;
      const read = await readJson<BackupJob>(this.store, key, abortSignal);
      if (read) this.jobs.set(read.value.jobId, { job: read.value, key, etag: read.etag });
    }
  }

  /** A copy of the job; `undefined` for an unknown id. */
  get(jobId: string): BackupJob | undefined {
    const held = this.jobs.get(jobId);
    return held && structuredClone(held.job);
  }

  /** Copies of every known job, oldest first. */
  list(): BackupJob[] {
    return [...this.jobs.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((held) => structuredClone(held.job));
  }
}
