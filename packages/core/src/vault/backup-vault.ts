import { KBackupError, invalidArgument } from "../errors.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { systemClock, type Clock } from "../ports/clock.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import type { BackupJob } from "../jobs/job.js";
import { dns1123LabelProblem, parseBackupDatasourceParameters } from "../selection/index.js";
import { BackupInstance } from "./backup-instance.js";
import { JobRecorder } from "./job-recorder.js";

export interface BackupVaultOptions {
  name: string;
  clock?: Clock;
  logger?: Logger;
  /** Uncommitted backups older than this are collected before each backup; 1 hour by default. */
  abandonAfterInMs?: number;
}

export interface ProtectOptions {
  /** The backup instance's name: lower-case letters, digits and `-`. */
  name: string;
  cluster: ClusterClient;
  snapshotProvider?: SnapshotProvider;
  /** Where recovery points go (the operational tier). */
  operationalStore: ObjectStore;
  /** Azure's `KubernetesClusterBackupDatasourceParameters`. */
  datasourceParameters: unknown;
}

/** A backup vault: its protected instances and their jobs. */
export class BackupVault {
  readonly name: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly instances = new Map<string, BackupInstance>();
  private readonly jobs: JobRecorder;
  private readonly abandonAfterInMs: number;

  constructor(options: BackupVaultOptions) {
    const problem = dns1123LabelProblem(options.name ?? "");
    if (problem) throw invalidArgument("name", problem);
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.abandonAfterInMs = options.abandonAfterInMs ?? 60 * 60 * 1000;
    this.jobs = new JobRecorder(this.name, this.clock);
  }

  /** Protects a cluster: checks the parameters and creates its backup instance. AlreadyExists if the name is taken. */
  async protect(options: ProtectOptions): Promise<BackupInstance> {
    const problem = dns1123LabelProblem(options.name ?? "");
    if (problem) throw invalidArgument("name", problem);
    if (!options.cluster) throw invalidArgument("cluster", "a ClusterClient is required");
    if (!options.operationalStore) throw invalidArgument("operationalStore", "an ObjectStore is required");
    const datasourceParameters = parseBackupDatasourceParameters(options.datasourceParameters);
    if (this.instances.has(options.name)) {
      throw new KBackupError("AlreadyExists", `The vault ${this.name} already has a backup instance named ${options.name}.`, { field: "name" });
    }
    const instance = new BackupInstance({
      name: options.name,
      vaultName: this.name,
      cluster: options.cluster,
      ...(options.snapshotProvider ? { snapshotProvider: options.snapshotProvider } : {}),
      operationalStore: options.operationalStore,
      storePrefix: `backup-instances/${options.name}/`,
      datasourceParameters,
      clock: this.clock,
      logger: this.logger,
      jobs: this.jobs,
      abandonAfterInMs: this.abandonAfterInMs,
    });
    this.instances.set(options.name, instance);
    return instance;
  }

  getInstance(name: string): BackupInstance | undefined {
    return this.instances.get(name);
  }

  listInstances(): BackupInstance[] {
    return [...this.instances.values()];
  }

  getJob(jobId: string): BackupJob | undefined {
    return this.jobs.get(jobId);
  }

  listJobs(): BackupJob[] {
    return this.jobs.list();
  }
}
