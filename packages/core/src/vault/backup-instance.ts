import { runBackup, type BackupProgress } from "../backup/backup-engine.js";
import { isKBackupError } from "../errors.js";
import { resolveHookReferences, runRestoreHooks } from "../hooks/index.js";
import { finishJob, type BackupJob, type JobDetail } from "../jobs/job.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { newRecoveryPointId, recoveryPointKeys } from "../recovery-point/layout.js";
import type { RecoveryPointManifest, RecoveryPointSummary } from "../recovery-point/manifest.js";
import { collectAbandonedRecoveryPoints, listRecoveryPointSummaries, readManifest } from "../recovery-point/recovery-point-store.js";
import { runRestore, type RestoreProgress } from "../restore/restore-engine.js";
import { loadRestoreModifier } from "../restore/resource-modifier-reference.js";
import { countOutcomes, type RestoreCounts, type RestoreItemResult } from "../restore/restore-result.js";
import { parseRestoreCriteria, type KubernetesClusterBackupDatasourceParameters, type RestoreCriteria } from "../selection/index.js";
import type { PagedAsyncIterableIterator } from "../util/paged.js";
import type { JobRecorder } from "./job-recorder.js";

export interface BackupNowOptions extends OperationOptions {
  /** Tags kept with the recovery point. */
  tags?: Record<string, string>;
  onProgress?: (progress: BackupProgress) => void;
}

export interface RestoreOptions extends OperationOptions {
  /** Restore into this cluster instead of the protected one. */
  targetCluster?: ClusterClient;
  /** Makes volumes from snapshots in the target; defaults to the instance's provider when restoring to the same cluster. */
  targetSnapshotProvider?: SnapshotProvider;
  /** Items created at once within a priority group; 16 by default. */
  concurrency?: number;
  onProgress?: (progress: RestoreProgress) => void;
}

/** What `planRestore` returns: the restore's per-item decisions, with nothing written. */
export interface RestorePlan {
  recoveryPointId: string;
  items: RestoreItemResult[];
  counts: RestoreCounts;
  warnings: string[];
}

/** Everything a backup instance is made of; `BackupVault.protect` builds it. */
export interface BackupInstanceSettings {
  name: string;
  vaultName: string;
  cluster: ClusterClient;
  snapshotProvider?: SnapshotProvider;
  operationalStore: ObjectStore;
  storePrefix: string;
  datasourceParameters: KubernetesClusterBackupDatasourceParameters;
  clock: Clock;
  logger: Logger;
  jobs: JobRecorder;
  /** Abandoned, uncommitted backups older than this are collected before each backup. */
  abandonAfterInMs: number;
}

/** One protected cluster (or part of one) in a vault: its backups, recovery points and restores. */
export class BackupInstance {
  constructor(private readonly settings: BackupInstanceSettings) {}

  get name(): string {
    return this.settings.name;
  }

  get datasourceParameters(): KubernetesClusterBackupDatasourceParameters {
    return this.settings.datasourceParameters;
  }

  /**
   * Takes a backup now. Resolves with the job, Completed, CompletedWithWarnings or Failed (its
   * `errorDetails` say why; no recovery point then exists). An abort cancels the backup, removes
   * what it wrote, records the job as Cancelled and rejects with code Aborted.
   */
  async backupNow(options: BackupNowOptions = {}): Promise<BackupJob> {
    const { clock, cluster, operationalStore: store, storePrefix } = this.settings;
    const job = this.settings.jobs.start("Backup", this.settings.name, cluster);
    const recoveryPointId = newRecoveryPointId(clock.now());
    try {
      await collectAbandonedRecoveryPoints(store, storePrefix, {
        now: clock.now(),
        olderThanInMs: this.settings.abandonAfterInMs,
        ...(this.settings.snapshotProvider ? { snapshotProvider: this.settings.snapshotProvider } : {}),
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      });
      const { manifest } = await runBackup({
        backupInstanceName: this.settings.name,
        recoveryPointId,
        cluster,
        ...(this.settings.snapshotProvider ? { snapshotProvider: this.settings.snapshotProvider } : {}),
        store,
        instancePrefix: storePrefix,
        parameters: this.settings.datasourceParameters,
        tags: options.tags ?? {},
        clock,
        logger: this.settings.logger,
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      job.extendedInfo.recoveryPointId = manifest.recoveryPointId;
      job.extendedInfo.recoveryPointTime = manifest.startTime;
      job.extendedInfo.hookResults = manifest.hookResults;
      job.extendedInfo.counts = { items: manifest.items.length, volumeSnapshots: manifest.volumeSnapshots.length, skippedVolumes: manifest.skippedVolumes.length };
      job.dataTransferredInBytes = manifest.archive.sizeInBytes;
      job.warningDetails = manifest.warnings.map((message) => ({ code: "BackupWarning", message }));
      finishJob(job, manifest.warnings.length > 0 ? "CompletedWithWarnings" : "Completed", clock.now());
      return this.settings.jobs.save(job);
    } catch (error) {
      const hookResults = isKBackupError(error) ? error.details?.hookResults : undefined;
      if (Array.isArray(hookResults)) job.extendedInfo.hookResults = hookResults;
      return this.settings.jobs.fail(job, error, clock.now());
    }
  }

  /** The committed recovery points, oldest first. */
  listRecoveryPoints(options: OperationOptions = {}): PagedAsyncIterableIterator<RecoveryPointSummary> {
    return listRecoveryPointSummaries(this.settings.operationalStore, this.settings.storePrefix, options.abortSignal);
  }

  /** A recovery point's manifest; NotFound if there is no committed recovery point of that id. */
  getRecoveryPoint(recoveryPointId: string, options: OperationOptions = {}): Promise<RecoveryPointManifest> {
    return readManifest(this.settings.operationalStore, this.settings.storePrefix, recoveryPointId, options.abortSignal);
  }

  /**
   * Restores a recovery point by Azure's `KubernetesClusterRestoreCriteria`, to the protected
   * cluster or to `options.targetCluster`. Resolves with the job (per-item results in
   * `extendedInfo.itemResults`); bad criteria reject with InvalidArgument before anything is read.
   */
  async restore(recoveryPointId: string, criteria: unknown, options: RestoreOptions = {}): Promise<BackupJob> {
    const parsed = parseRestoreCriteria(criteria);
    const target = options.targetCluster ?? this.settings.cluster;
    const job = this.settings.jobs.start("Restore", this.settings.name, target);
    job.extendedInfo.recoveryPointId = recoveryPointId;
    job.extendedInfo.recoveryDestination = target.identity.name;
    const { clock } = this.settings;
    try {
      // Hook references are read from the target first: a missing one fails the job before any write.
      const hooks = await resolveHookReferences(target, parsed.restoreHookReferences ?? [], "RestoreHook", options);
      const outcome = await this.execute(recoveryPointId, parsed, target, options, "restore");
      const hookOutcome = await runRestoreHooks(target, hooks, outcome.createdPods, { ...options, logger: this.settings.logger });
      job.extendedInfo.hookResults = hookOutcome.hookResults;
      job.extendedInfo.itemResults = outcome.items;
      const counts = countOutcomes(outcome.items);
      job.extendedInfo.counts = { ...counts, volumesRestored: outcome.volumesRestored };
      const warnings: JobDetail[] = [...outcome.warnings, ...hookOutcome.warnings].map((message) => ({ code: "RestoreWarning", message }));
      for (const item of outcome.items) {
        for (const message of item.warnings ?? []) warnings.push({ code: "ResourceModifierError", message, target: itemTarget(item) });
      }
      job.warningDetails = warnings;
      const errors: JobDetail[] = outcome.items.filter((item) => item.outcome === "Failed").map((item) => ({ code: "ItemRestoreFailed", message: item.reason ?? "", target: itemTarget(item) }));
      for (const failure of hookOutcome.failures) {
        errors.push({ code: "RestoreHookFailed", message: `Restore hook ${failure.hookName} ${failure.outcome}${failure.reason ? `: ${failure.reason}` : ""}`, target: `pods/${failure.pod.namespace}/${failure.pod.name}` });
      }
      if (errors.length > 0) job.errorDetails = errors;
      finishJob(job, errors.length > 0 ? "Failed" : warnings.length > 0 ? "CompletedWithWarnings" : "Completed", clock.now());
      return this.settings.jobs.save(job);
    } catch (error) {
      return this.settings.jobs.fail(job, error, clock.now());
    }
  }

  /** What `restore` would do with each item, writing nothing to the target. */
  async planRestore(recoveryPointId: string, criteria: unknown, options: RestoreOptions = {}): Promise<RestorePlan> {
    const parsed = parseRestoreCriteria(criteria);
    const target = options.targetCluster ?? this.settings.cluster;
    const outcome = await this.execute(recoveryPointId, parsed, target, options, "plan");
    return { recoveryPointId, items: outcome.items, counts: countOutcomes(outcome.items), warnings: outcome.warnings };
  }

  private async execute(recoveryPointId: string, criteria: RestoreCriteria, target: ClusterClient, options: RestoreOptions, mode: "restore" | "plan") {
    const manifest = await this.getRecoveryPoint(recoveryPointId, options);
    const sameCluster = target === this.settings.cluster;
    const targetSnapshotProvider = options.targetSnapshotProvider ?? (sameCluster ? this.settings.snapshotProvider : undefined);
    const reference = criteria.resourceModifierReference;
    const modify = reference ? await loadRestoreModifier(target, reference, options.abortSignal) : undefined;
    return runRestore({
      manifest,
      store: this.settings.operationalStore,
      archiveKey: recoveryPointKeys(this.settings.storePrefix, recoveryPointId).archive,
      criteria,
      targetCluster: target,
      ...(targetSnapshotProvider ? { targetSnapshotProvider } : {}),
      mode,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(modify ? { modify } : {}),
      clock: this.settings.clock,
      logger: this.settings.logger,
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
}

function itemTarget(item: RestoreItemResult): string {
  return `${item.resource}${item.group ? `.${item.group}` : ""}/${item.namespace ? `${item.namespace}/` : ""}${item.name}`;
}
