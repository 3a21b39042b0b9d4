import { randomUUID } from "node:crypto";
import type { BackupProgress } from "../backup/backup-engine.js";
import { KBackupError, isKBackupError } from "../errors.js";
import { assertValidConcurrency } from "../util/concurrency.js";
import { resolveHookReferences, runRestoreHooks } from "../hooks/index.js";
import { finishJob, type BackupJob, type JobDetail } from "../jobs/job.js";
import type { ClusterClient, ClusterIdentity } from "../ports/cluster-client.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { backupPreflight } from "../preflight/backup-preflight.js";
import type { PreflightFinding } from "../preflight/findings.js";
import { policyUsesVaultStore } from "../preflight/policy-vault-tier.js";
import { refuseOnPreflightErrors } from "../preflight/preflight-refusal.js";
import { restorePreflight } from "../preflight/restore-preflight.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { runRestore, type RestoreProgress } from "../restore/restore-engine.js";
import { loadRestoreModifier } from "../restore/resource-modifier-reference.js";
import { countOutcomes, type RestoreCounts, type RestoreItemResult } from "../restore/restore-result.js";
import { parseRestoreCriteria, type KubernetesClusterBackupDatasourceParameters, type RestoreCriteria } from "../selection/index.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";
import type { RecoveryPointVerifyReport, VerifyRecoveryPointOptions } from "../vault-tier/archive-verification.js";
import type { RegionPair } from "../vault-tier/region-pairs.js";
import { openRestoreSource, type RestoreSource } from "../vault-tier/restore-source.js";
import { planRestoreRoute, type RestoreRoute } from "../vault-tier/restore-route.js";
import type { VaultDataStore } from "./catalogue-records.js";
import type { InstanceHandle } from "./instance-handle.js";
import { protectionStatusOf, type CurrentProtectionState, type ProtectionStatusDetails } from "./protection-state.js";
import { resumeProtection, stopProtection, suspendBackups, undeleteInstance } from "./protection-lifecycle.js";
import { deleteRecoveryPoint, undeleteRecoveryPoint, updateRecoveryPointExpiry } from "./recovery-point-deletion.js";
import { toRecoveryPointInfo, type RecoveryPointInfo } from "./retention-points.js";
import { checkRetentionTagOverride, takeBackup } from "./take-backup.js";

/** Options of {@link BackupInstance.backupNow}. */
export interface BackupNowOptions extends OperationOptions {
  /** Tags kept with the recovery point. */
  tags?: Record<string, string>;
  /**
   * The retention rule of the instance's policy this on-demand recovery point follows; by default the
   * policy's default rule. InvalidArgument when the policy has no such rule or the instance no policy.
   */
  retentionTagOverride?: string;
  /** Called with a copy of the backup's progress at each phase and as items are collected. */
  onProgress?: (progress: BackupProgress) => void;
}

/** Options of {@link BackupInstance.restore} and {@link BackupInstance.planRestore}. */
export interface RestoreOptions extends OperationOptions {
  /** Restore into this cluster instead of the protected one. */
  targetCluster?: ClusterClient;
  /** Makes volumes from snapshots in the target; defaults to the instance's provider when restoring to the same cluster. */
  targetSnapshotProvider?: SnapshotProvider;
  /** Items created at once within a priority group; 16 by default. */
  concurrency?: number;
  /** Which copy to restore from; by default the operational one while it exists, else the vault store's. */
  dataStore?: VaultDataStore;
  /**
   * Where a vault-store copy kept in a repository is staged for the restore (the staging storage
   * account the criteria's `stagingStorageAccountId` names); an in-process store by default. The
   * staged objects are removed afterwards.
   */
  stagingStore?: ObjectStore;
  /**
   * Stages such a copy's volumes as snapshots (`createSnapshotFromData`, in the staging resource
   * group the criteria's `stagingResourceGroupId` names) and makes the target's volumes from them;
   * the target snapshot provider by default when it can. The staged snapshots are deleted afterwards.
   */
  stagingSnapshotProvider?: SnapshotProvider;
  /** Region pairs a cross-region restore may use besides Azure's (`AZURE_REGION_PAIRS`), both ways. */
  regionPairs?: readonly RegionPair[];
  /** Called with a copy of the restore's progress as each resource type starts and as items are processed. */
  onProgress?: (progress: RestoreProgress) => void;
  /**
   * Restore without the preflight checks of {@link BackupInstance.validateRestore}, which otherwise
   * refuse (PreconditionFailed) when they find an Error.
   */
  skipValidation?: boolean;
}

/** Options of {@link BackupInstance.validateRestore}: where and how the restore would go, as `restore` takes them. */
export type ValidateRestoreOptions = Omit<RestoreOptions, "concurrency" | "onProgress" | "skipValidation">;

/** What `planRestore` returns: the restore's per-item decisions, with nothing written. */
export interface RestorePlan {
  recoveryPointId: string;
  items: RestoreItemResult[];
  counts: RestoreCounts;
  warnings: string[];
}

/** Options of {@link BackupInstance.stopProtection}. */
export interface StopProtectionOptions extends OperationOptions {
  /**
   * Delete the instance and its recovery points too (soft-deleted when the vault's soft delete is
   * on). Without it, backups and retention stop and the recovery points are kept until deleted.
   */
  deleteData?: boolean;
}

/** Options of {@link BackupInstance.updateRecoveryPointExpiry}. */
export interface UpdateRecoveryPointExpiryOptions extends OperationOptions {
  /** The copy whose expiry changes. */
  dataStore: VaultDataStore;
  /** The new expiry. */
  expiryTime: Date;
}

/** A backup instance in Azure's shape (the `properties` of a `BackupInstanceResource`). */
export interface BackupInstanceProperties {
  objectType: "BackupInstance";
  friendlyName: string;
  dataSourceInfo: {
    objectType: "Datasource";
    datasourceType: "Microsoft.ContainerService/managedClusters";
    resourceName: string;
    resourceID?: string;
    resourceLocation?: string;
  };
  policyInfo?: { policyId: string; policyParameters: { backupDatasourceParametersList: KubernetesClusterBackupDatasourceParameters[] } };
  protectionStatus: ProtectionStatusDetails;
  currentProtectionState: CurrentProtectionState;
}

/** One protected cluster (or part of one) in a vault: its backups, recovery points, restores and protection state. */
export class BackupInstance {
  /** @internal Made by `BackupVault`; not for direct use. */
  constructor(private readonly handle: InstanceHandle) {}

  /** The instance's name, unique in its vault. */
  get name(): string {
    return this.handle.name;
  }

  /** What its backups select from the cluster, as given when it was protected; a copy, so changing it changes nothing. */
  get datasourceParameters(): KubernetesClusterBackupDatasourceParameters {
    return structuredClone(this.handle.record.datasourceParameters);
  }

  /** The policy that schedules and retains its backups; undefined for an instance backed up on demand only. */
  get policyName(): string | undefined {
    return this.handle.record.policyName;
  }

  /** The identity of the protected cluster, as recorded when it was protected. */
  get cluster(): ClusterIdentity {
    return { ...this.handle.record.cluster };
  }

  /** Azure's `currentProtectionState`, as last read by this process (see `refresh`). */
  get currentProtectionState(): CurrentProtectionState {
    return this.handle.record.currentProtectionState;
  }

  /** Azure's `protectionStatus`, as last read by this process (see `refresh`). */
  get protectionStatus(): ProtectionStatusDetails {
    const record = this.handle.record;
    return protectionStatusOf(record.currentProtectionState, record.protectionErrorDetails);
  }

  /** When a soft-deleted instance was deleted and will be purged; undefined when it is not soft-deleted. */
  get softDeleted(): { deletionTime: string; purgeTime: string } | undefined {
    const deletion = this.handle.record.softDeleted;
    return deletion && { deletionTime: deletion.deletedAt, purgeTime: deletion.purgeAt };
  }

  /** How many scheduled times passed without a backup since protection was configured. */
  get missedScheduledCount(): number {
    return this.handle.record.schedule.missedSlotCount;
  }

  /** The scheduled times the last scheduled backup stood in for (at most 100). */
  get lastMissedScheduledTimes(): string[] {
    return [...this.handle.record.schedule.lastMissedSlots];
  }

  /** The instance in Azure's shape. */
  get properties(): BackupInstanceProperties {
    const record = this.handle.record;
    return {
      objectType: "BackupInstance",
      friendlyName: record.name,
      dataSourceInfo: {
        objectType: "Datasource",
        datasourceType: "Microsoft.ContainerService/managedClusters",
        resourceName: record.cluster.name,
        ...(record.cluster.id ? { resourceID: record.cluster.id } : {}),
        ...(record.cluster.region ? { resourceLocation: record.cluster.region } : {}),
      },
      ...(record.policyName
        ? { policyInfo: { policyId: `${this.handle.vault.name}/backupPolicies/${record.policyName}`, policyParameters: { backupDatasourceParametersList: [structuredClone(record.datasourceParameters)] } } }
        : {}),
      protectionStatus: this.protectionStatus,
      currentProtectionState: record.currentProtectionState,
    };
  }

  /** Reads the instance's state afresh (another process may have changed it). NotFound once it is purged. */
  async refresh(options: OperationOptions = {}): Promise<void> {
    await this.handle.read(options.abortSignal);
  }

  /**
   * Takes a backup now, on demand. Resolves with the job, Completed, CompletedWithWarnings or Failed
   * (its `errorDetails` say why; no recovery point then exists). An abort cancels the backup, removes
   * what it wrote, records the job as Cancelled and rejects with code Aborted.
   * @throws InvalidArgument for an unknown `retentionTagOverride`; Conflict when protection is stopped
   *   or the instance soft-deleted.
   */
  async backupNow(options: BackupNowOptions = {}): Promise<BackupJob> {
    const record = await this.handle.read(options.abortSignal);
    const policy = record.policyName === undefined ? undefined : await this.handle.vault.policy(record.policyName, options.abortSignal);
    checkRetentionTagOverride(policy, options.retentionTagOverride);
    if (record.softDeleted || record.currentProtectionState === "ProtectionStopped") {
      throw new KBackupError("Conflict", `Backup instance ${this.name} takes no backups in state ${record.currentProtectionState}.`, { details: { currentProtectionState: record.currentProtectionState } });
    }
    return takeBackup(this.handle, {
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.retentionTagOverride ? { retentionTagOverride: options.retentionTagOverride } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    });
  }

  /**
   * The preflight checks of a backup of this instance, writing nothing but store probes (a
   * create-only object under the instance's folder `preflight/`, deleted at once), as
   * `BackupVault.validateForProtection` runs them before `protect`: with the cluster, stores and
   * snapshot provider bound to the instance and its recorded datasource parameters. An unbound
   * cluster or store is an Error finding. Returns every finding, Errors first.
   */
  async validateForBackup(options: OperationOptions = {}): Promise<PreflightFinding[]> {
    const { abortSignal } = options;
    const record = await this.handle.read(abortSignal);
    const { vault, binding } = this.handle;
    const policy = record.policyName === undefined ? undefined : await vault.policy(record.policyName, abortSignal);
    const usesVault = policy !== undefined && policyUsesVaultStore(policy);
    return backupPreflight(
      {
        cluster: binding.cluster,
        clusterName: record.cluster.name,
        ...(binding.snapshotProvider ? { snapshotProvider: binding.snapshotProvider } : {}),
        operationalStore: binding.operationalStore,
        operationalPrefix: record.storePrefix,
        parameters: record.datasourceParameters,
        ...(usesVault ? { vaultStore: { store: vault.vaultStore, prefix: `${vault.keys.vaultStore}${this.name}/`, settings: await vault.settings(abortSignal) } } : {}),
      },
      abortSignal ? { abortSignal } : {},
    );
  }

  /** The recovery points, oldest first, with their copies, expiries and state (soft-deleted ones too), read afresh. */
  listRecoveryPoints(options: OperationOptions = {}): PagedAsyncIterableIterator<RecoveryPointInfo> {
    return pagedIterator(async (token, maxPageSize) => {
      const record = await this.handle.read(options.abortSignal);
      const rest = record.recoveryPoints.filter((point) => token === undefined || point.recoveryPointId > token);
      const page = rest.slice(0, maxPageSize ?? 1000);
      const last = page[page.length - 1];
      return { items: page.map((point) => toRecoveryPointInfo(point, record)), ...(page.length < rest.length && last ? { continuationToken: last.recoveryPointId } : {}) };
    });
  }

  /** One recovery point as listed, read afresh; undefined when the instance has no such point. */
  async getRecoveryPointInfo(recoveryPointId: string, options: OperationOptions = {}): Promise<RecoveryPointInfo | undefined> {
    const record = await this.handle.read(options.abortSignal);
    const point = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
    return point && toRecoveryPointInfo(point, record);
  }

  /**
   * A recovery point's manifest, from its operational copy, else its vault-store copy. NotFound if
   * there is no committed recovery point of that id.
   */
  async getRecoveryPoint(recoveryPointId: string, options: OperationOptions = {}): Promise<RecoveryPointManifest> {
    return (await this.source(recoveryPointId, undefined, options)).manifest;
  }

  /**
   * Restores a recovery point by Azure's `KubernetesClusterRestoreCriteria`, to the protected
   * cluster or to `options.targetCluster`. Resolves with the job (per-item results in
   * `extendedInfo.itemResults`); bad criteria reject with InvalidArgument before anything is read.
   * Unless `skipValidation`, the preflight checks of {@link validateRestore} run first (all but the
   * conflict count) and refuse the restore when they find an Error.
   * @throws Conflict for a soft-deleted point; PermissionDenied for a target in another subscription
   *   or region when the vault's cross-subscription or cross-region restore is not enabled;
   *   PreconditionFailed when the preflight checks find Errors (all of them in the message with
   *   their remedies, and every finding in `details.findings`).
   */
  async restore(recoveryPointId: string, criteria: unknown, options: RestoreOptions = {}): Promise<BackupJob> {
    const parsed = parseRestoreCriteria(criteria);
    // Checked before the job starts, so a bad value records no failed job.
    assertValidConcurrency(options.concurrency);
    const target = options.targetCluster ?? this.handle.requireCluster();
    await this.checkRestore(recoveryPointId, target, options);
    if (options.skipValidation !== true) {
      refuseOnPreflightErrors(`Restoring recovery point ${recoveryPointId} to ${target.identity.name}`, await this.restoreFindings(recoveryPointId, parsed, target, options, false));
    }
    const { vault } = this.handle;
    const job = await vault.jobs.start("Restore", this.name, target.identity, options.abortSignal ? { abortSignal: options.abortSignal } : {});
    job.extendedInfo.recoveryPointId = recoveryPointId;
    job.extendedInfo.recoveryDestination = target.identity.name;
    const { clock } = vault;
    try {
      // Hook references are read from the target first: a missing one fails the job before any write.
      const hooks = await resolveHookReferences(target, parsed.restoreHookReferences ?? [], "RestoreHook", options);
      const outcome = await this.execute(recoveryPointId, parsed, target, options, "restore");
      const hookOutcome = await runRestoreHooks(target, hooks, outcome.createdPods, { ...options, logger: vault.logger });
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
      return await vault.jobs.save(job);
    } catch (error) {
      return vault.jobs.fail(job, error, clock.now());
    }
  }

  /**
   * The preflight checks of a restore, writing nothing: the recovery point is committed, not
   * soft-deleted and readable from the copy restored; the target cluster answers; Azure's region
   * rules (from the operational store, the source's region; from the vault store, also its paired
   * region with cross-region restore enabled), subscription rules (cross-subscription restore) and,
   * for vault-tier criteria, the staging location; the criteria compile against the recovery point
   * and name namespaces it holds; the target allows `get` and `create` (and `patch` with
   * conflictPolicy Patch) on everything the restore would write, reading the hooks and modifier
   * rules, and exec for restore hooks; the referenced restore hooks and modifier ConfigMap exist and
   * parse; a snapshot provider is given when volumes come from snapshots; and how many items exist
   * in the target already (a `RestoreConflicts` Warning, from {@link planRestore}; a vault copy kept
   * in a repository is staged for that plan in this process, never in `stagingStore`). `options` are
   * those `restore` would take (the protected cluster by default). Returns every finding, Errors
   * first.
   * @throws InvalidArgument for bad criteria, before anything is read.
   */
  async validateRestore(recoveryPointId: string, criteria: unknown, options: ValidateRestoreOptions = {}): Promise<PreflightFinding[]> {
    const parsed = parseRestoreCriteria(criteria);
    return this.restoreFindings(recoveryPointId, parsed, options.targetCluster ?? this.handle.binding.cluster, options, true);
  }

  private async restoreFindings(recoveryPointId: string, criteria: RestoreCriteria, target: ClusterClient | undefined, options: ValidateRestoreOptions, countConflicts: boolean): Promise<PreflightFinding[]> {
    const { abortSignal } = options;
    const record = await this.handle.read(abortSignal);
    const point = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
    const dataStore: VaultDataStore = options.dataStore ?? (point && !point.dataStores.OperationalStore && point.dataStores.VaultStore ? "VaultStore" : "OperationalStore");
    const problem = !point
      ? `Backup instance ${this.name} has no recovery point ${recoveryPointId}.`
      : point.softDeleted || record.softDeleted
        ? `Recovery point ${recoveryPointId} is soft-deleted; undelete it to restore it.`
        : !point.dataStores[dataStore]
          ? `Recovery point ${recoveryPointId} has no ${dataStore === "VaultStore" ? "vault-store" : "operational"} copy.`
          : undefined;
    // A vault copy's volumes may be made by the staging provider instead of the target's.
    const targetSnapshotProvider = options.targetSnapshotProvider ?? (target === this.handle.binding.cluster ? this.handle.binding.snapshotProvider : undefined) ?? options.stagingSnapshotProvider;
    const settings = await this.handle.vault.settings(abortSignal);
    // The plan stages a vault copy in this process, never in the caller's staging store: validating writes nothing.
    const { stagingStore: _stagingStore, ...planOptions }: RestoreOptions = { ...options, dataStore };
    return restorePreflight(
      {
        source: record.cluster,
        target,
        targetName: target?.identity.name ?? record.cluster.name,
        ...(targetSnapshotProvider ? { targetSnapshotProvider } : {}),
        criteria,
        dataStore,
        features: settings.featureSettings,
        ...(options.regionPairs ? { regionPairs: options.regionPairs } : {}),
        ...(problem ? { recoveryPointProblem: problem } : {}),
        // A cross-region restore reads the vault store's secondary: the manifest is read where the restore will read it.
        readManifest: async () => (await this.source(recoveryPointId, dataStore, options, target !== undefined && (await this.readsSecondary(recoveryPointId, target, options)))).manifest,
        ...(countConflicts && target ? { plan: async () => (await this.execute(recoveryPointId, criteria, target, planOptions, "plan")).items } : {}),
      },
      abortSignal ? { abortSignal } : {},
    );
  }

  /**
   * Re-reads a copy of a recovery point and checks it: `level` `index` (the default) checks that every
   * object it needs is there with its recorded size; `full` also reads every byte and checks it
   * against its checksum. For the operational store that is the manifest, the archive's size, each
   * archive member's sha256 and the whole archive's sha256; for the vault store, the copy's own
   * checks (a repository copy: every chunk indexed, every pack there at its size, and at `full` every
   * chunk decrypted and checked against its id). `dataStore` picks the copy as `restore` does.
   * @throws Integrity naming the damaged or missing object (`details.key`); NotFound when there is no
   *   such point or copy; InvalidArgument for a bad level.
   */
  async verifyRecoveryPoint(recoveryPointId: string, options: VerifyRecoveryPointOptions & { dataStore?: VaultDataStore } = {}): Promise<RecoveryPointVerifyReport> {
    const source = await this.source(recoveryPointId, options.dataStore, options);
    return source.verify(options);
  }

  /** What `restore` would do with each item, writing nothing to the target. Throws as `restore` does. */
  async planRestore(recoveryPointId: string, criteria: unknown, options: RestoreOptions = {}): Promise<RestorePlan> {
    const parsed = parseRestoreCriteria(criteria);
    const target = options.targetCluster ?? this.handle.requireCluster();
    await this.checkRestore(recoveryPointId, target, options);
    const outcome = await this.execute(recoveryPointId, parsed, target, options, "plan");
    return { recoveryPointId, items: outcome.items, counts: countOutcomes(outcome.items), warnings: outcome.warnings };
  }

  /**
   * Deletes a recovery point, every copy of it: soft-deleted when the vault's soft delete is on, for
   * good otherwise. Resolves true when it was deleted for good.
   * @throws NotFound for an unknown point; PermissionDenied when the vault is immutable and the point's
   *   vault-store copy has not expired.
   */
  deleteRecoveryPoint(recoveryPointId: string, options: OperationOptions = {}): Promise<boolean> {
    return deleteRecoveryPoint(this.handle, recoveryPointId, options.abortSignal);
  }

  /** Brings back a soft-deleted recovery point. NotFound once purged; Conflict when not soft-deleted or past its purge time. */
  undeleteRecoveryPoint(recoveryPointId: string, options: OperationOptions = {}): Promise<void> {
    return undeleteRecoveryPoint(this.handle, recoveryPointId, options.abortSignal);
  }

  /**
   * Sets when one copy of a recovery point expires.
   * @throws NotFound for an unknown point or copy; PermissionDenied when the vault is immutable and the
   *   change shortens an unexpired vault-store copy's retention.
   */
  updateRecoveryPointExpiry(recoveryPointId: string, options: UpdateRecoveryPointExpiryOptions): Promise<void> {
    return updateRecoveryPointExpiry(this.handle, recoveryPointId, options.dataStore, options.expiryTime, options.abortSignal);
  }

  /** Suspends scheduled backups, retention going on (`BackupSchedulesSuspended`). Conflict when stopped or soft-deleted. */
  suspendBackups(options: OperationOptions = {}): Promise<void> {
    return suspendBackups(this.handle, options.abortSignal);
  }

  /** Resumes scheduled backups and retention (`ProtectionConfigured`) from the next scheduled time. Conflict when soft-deleted. */
  resumeProtection(options: OperationOptions = {}): Promise<void> {
    return resumeProtection(this.handle, options.abortSignal);
  }

  /**
   * Stops protection: see {@link StopProtectionOptions.deleteData}. Resolves true when the instance was
   * deleted for good (soft delete off), after which the vault no longer lists it.
   * @throws PermissionDenied, with `deleteData`, when the vault is immutable and a recovery point's
   *   vault-store copy has not expired; Conflict, without it, when the instance is soft-deleted.
   */
  stopProtection(options: StopProtectionOptions = {}): Promise<boolean> {
    return stopProtection(this.handle, options.deleteData === true, options.abortSignal);
  }

  /** Brings back a soft-deleted instance, protection stopped. Conflict when not soft-deleted or past its purge time. */
  undelete(options: OperationOptions = {}): Promise<void> {
    return undeleteInstance(this.handle, options.abortSignal);
  }

  private async checkRestore(recoveryPointId: string, target: ClusterClient, options: RestoreOptions): Promise<void> {
    const record = await this.handle.read(options.abortSignal);
    const point = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
    if (point && (point.softDeleted || record.softDeleted)) {
      throw new KBackupError("Conflict", `Recovery point ${recoveryPointId} is soft-deleted; undelete it to restore it.`, { field: "recoveryPointId" });
    }
    const source = record.cluster;
    const other = target.identity;
    const features = (await this.handle.vault.settings(options.abortSignal)).featureSettings;
    if (source.subscriptionId && other.subscriptionId && source.subscriptionId !== other.subscriptionId && features.crossSubscriptionRestoreSettings.state !== "Enabled") {
      throw new KBackupError("PermissionDenied", `targetCluster: ${other.name} is in subscription ${other.subscriptionId}, and the vault's cross-subscription restore is ${features.crossSubscriptionRestoreSettings.state}.`, { field: "targetCluster" });
    }
    const route = await this.route(recoveryPointId, target, options);
    // A damaged or missing copy is refused before any work: checked at the index level.
    const copy = await this.source(recoveryPointId, route.dataStore, options, route.secondary);
    await copy.verify({ level: "index", ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) });
  }

  /** Whether a restore to `target` reads the vault store's secondary; false when the route is refused (the preflight findings tell why). */
  private async readsSecondary(recoveryPointId: string, target: ClusterClient, options: ValidateRestoreOptions): Promise<boolean> {
    try {
      return (await this.route(recoveryPointId, target, options)).secondary;
    } catch (error) {
      if (isKBackupError(error, "Aborted")) throw error;
      return false;
    }
  }

  /** Where a restore to `target` reads from, by the cross-region rules (see `planRestoreRoute`), which it enforces. */
  private async route(recoveryPointId: string, target: ClusterClient, options: RestoreOptions): Promise<RestoreRoute> {
    const record = await this.handle.read(options.abortSignal);
    return planRestoreRoute({
      recoveryPointId,
      source: record.cluster,
      target: target.identity,
      point: record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId),
      dataStore: options.dataStore,
      settings: await this.handle.vault.settings(options.abortSignal),
      ...(options.regionPairs ? { regionPairs: options.regionPairs } : {}),
    });
  }

  /** The chosen (or first available) copy of a recovery point, opened: its manifest, its checks and its data. */
  private source(recoveryPointId: string, dataStore: VaultDataStore | undefined, options: OperationOptions, secondary = false): Promise<RestoreSource> {
    return openRestoreSource(this.handle, recoveryPointId, { dataStore, secondary }, options);
  }

  // A vault copy kept in a repository is staged first, and its staging removed after.
  private async execute(recoveryPointId: string, criteria: RestoreCriteria, target: ClusterClient, options: RestoreOptions, mode: "restore" | "plan") {
    const route = await this.route(recoveryPointId, target, options);
    const source = await this.source(recoveryPointId, route.dataStore, options, route.secondary);
    const sameCluster = target === this.handle.binding.cluster;
    const targetSnapshotProvider = options.targetSnapshotProvider ?? (sameCluster ? this.handle.binding.snapshotProvider : undefined);
    const vaultTier = criteria.objectType === "KubernetesClusterVaultTierRestoreCriteria" ? criteria : undefined;
    const request = {
      targetSnapshotProvider,
      stagingSnapshotProvider: options.stagingSnapshotProvider,
      ...(options.stagingStore ? { store: options.stagingStore } : {}),
      stagingId: `${recoveryPointId}-${randomUUID().slice(0, 8)}`,
      ...(vaultTier?.stagingResourceGroupId ? { resourceGroupId: vaultTier.stagingResourceGroupId } : {}),
      ...(vaultTier?.stagingStorageAccountId ? { storageAccountId: vaultTier.stagingStorageAccountId } : {}),
      volumeData: mode === "restore" && criteria.persistentVolumeRestoreMode === "RestoreWithVolumeData",
      logger: this.handle.vault.logger,
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    };
    source.check(request);
    const reference = criteria.resourceModifierReference;
    const modify = reference ? await loadRestoreModifier(target, reference, options.abortSignal) : undefined;
    const { value: outcome, warnings } = await source.use(request, (data) =>
      runRestore({
        manifest: source.manifest,
        store: data.store,
        archiveKey: data.archiveKey,
        criteria,
        targetCluster: target,
        ...(data.snapshotProvider ? { targetSnapshotProvider: data.snapshotProvider } : {}),
        mode,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(modify ? { modify } : {}),
        clock: this.handle.vault.clock,
        logger: this.handle.vault.logger,
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    );
    outcome.warnings.push(...warnings);
    return outcome;
  }
}

function itemTarget(item: RestoreItemResult): string {
  return `${item.resource}${item.group ? `.${item.group}` : ""}/${item.namespace ? `${item.namespace}/` : ""}${item.name}`;
}
