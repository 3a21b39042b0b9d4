import { runBackup, type BackupProgress } from "../backup/backup-engine.js";
import { invalidArgument, isKBackupError } from "../errors.js";
import { finishJob, type BackupJob } from "../jobs/job.js";
import { backupRuleOf, evaluateRetention, tagRecoveryPoint, type BackupPolicy } from "../policy/index.js";
import { newRecoveryPointId } from "../recovery-point/layout.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { collectAbandonedRecoveryPoints } from "../recovery-point/recovery-point-store.js";
import { MAX_RECORDED_MISSED_SLOTS, type RecoveryPointRecord } from "./catalogue-records.js";
import type { InstanceHandle } from "./instance-handle.js";
import { toRetentionPoint } from "./retention-points.js";

/** The tag a recovery point's manifest and snapshots carry naming its retention rule. */
export const RETENTION_TAG_KEY = "kbackup.io/retention-tag";

/** A backup to take: on demand, or for a scheduled slot. */
export interface BackupRequest {
  /** Set for a scheduled backup: the slot it takes, and the slots it stands in for. */
  scheduled?: { slot: Date; missed: Date[]; missedCount: number };
  /** For an on-demand backup: the retention rule it follows (default: the policy's default rule). */
  retentionTagOverride?: string;
  tags?: Record<string, string>;
  onProgress?: (progress: BackupProgress) => void;
  abortSignal?: AbortSignal;
}

function defaultRuleName(policy: BackupPolicy): string {
  const rule = policy.policyRules.find((candidate) => candidate.objectType === "AzureRetentionRule" && candidate.isDefault === true);
  return rule?.name ?? "Default";
}

/**
 * Checks an on-demand backup's retention rule against the instance's policy.
 * @throws InvalidArgument (`retentionTagOverride`) when the policy has no such rule, or the instance no policy.
 */
export function checkRetentionTagOverride(policy: BackupPolicy | undefined, name: string | undefined): void {
  if (name === undefined) return;
  if (!policy) throw invalidArgument("retentionTagOverride", "the backup instance has no policy, so its backups have no retention rules");
  const known = policy.policyRules.some((rule) => rule.objectType === "AzureRetentionRule" && rule.name === name);
  if (!known) throw invalidArgument("retentionTagOverride", `the policy has no retention rule named "${name}"`);
}

function pointOf(manifest: RecoveryPointManifest, jobId: string, retentionTag: string, request: BackupRequest): RecoveryPointRecord {
  return {
    recoveryPointId: manifest.recoveryPointId,
    recoveryPointTime: manifest.startTime,
    retentionTag,
    ...(request.retentionTagOverride ? { retentionTagOverride: request.retentionTagOverride } : {}),
    onDemand: request.scheduled === undefined,
    jobId,
    itemCount: manifest.items.length,
    archiveSizeInBytes: manifest.archive.sizeInBytes,
    volumeSnapshotCount: manifest.volumeSnapshots.length,
    volumeBytes: manifest.volumeSnapshots.map((snapshot) => snapshot.sizeInBytes),
    warningCount: manifest.warnings.length,
    tags: manifest.tags,
    dataStores: { OperationalStore: { createdAt: manifest.endTime } },
  };
}

/**
 * Takes a backup of the instance and records it: the recovery point with its retention tag (by the
 * policy's tagging criteria for a scheduled backup, by `retentionTagOverride` or the default rule for
 * an on-demand one) and its operational expiry, and the job. Resolves with the job, Completed,
 * CompletedWithWarnings or Failed; an abort records it Cancelled and rejects with Aborted.
 */
export async function takeBackup(handle: InstanceHandle, request: BackupRequest): Promise<BackupJob> {
  const { vault } = handle;
  const { clock } = vault;
  const record = handle.record;
  const policy = record.policyName === undefined ? undefined : await vault.policy(record.policyName, request.abortSignal);
  const startedAt = clock.now();
  const scheduled = request.scheduled;
  const last = record.schedule.lastSuccessfulBackupTime;
  const retentionTag = !policy
    ? undefined
    : scheduled
      ? tagRecoveryPoint(policy, { time: startedAt }, last === undefined ? [] : [{ time: new Date(last) }]).tagName
      : (request.retentionTagOverride ?? defaultRuleName(policy));
  const job = await vault.jobs.start("Backup", handle.name, record.cluster, {
    isUserTriggered: scheduled === undefined,
    ...(record.policyName ? { policyName: record.policyName } : {}),
    ...(request.abortSignal ? { abortSignal: request.abortSignal } : {}),
  });
  if (policy) job.extendedInfo.additionalDetails.PolicyRuleName = backupRuleOf(policy).name;
  if (retentionTag) job.extendedInfo.additionalDetails.RetentionTag = retentionTag;
  if (scheduled) {
    job.extendedInfo.additionalDetails.ScheduledTime = scheduled.slot.toISOString();
    job.extendedInfo.missedScheduledCount = scheduled.missedCount;
    job.extendedInfo.missedScheduledTimes = scheduled.missed.slice(-MAX_RECORDED_MISSED_SLOTS).map((slot) => slot.toISOString());
  }
  try {
    const cluster = handle.requireCluster();
    const store = handle.requireOperationalStore();
    const { snapshotProvider } = handle.binding;
    await collectAbandonedRecoveryPoints(store, record.storePrefix, {
      now: clock.now(),
      olderThanInMs: vault.abandonAfterInMs,
      logger: vault.logger,
      ...(snapshotProvider ? { snapshotProvider } : {}),
      ...(request.abortSignal ? { abortSignal: request.abortSignal } : {}),
    });
    const { manifest } = await runBackup({
      backupInstanceName: handle.name,
      recoveryPointId: newRecoveryPointId(clock.now()),
      cluster,
      ...(snapshotProvider ? { snapshotProvider } : {}),
      store,
      instancePrefix: record.storePrefix,
      parameters: record.datasourceParameters,
      tags: { ...request.tags, ...(retentionTag ? { [RETENTION_TAG_KEY]: retentionTag } : {}) },
      clock,
      logger: vault.logger,
      ...(request.abortSignal ? { abortSignal: request.abortSignal } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    });
    const point = pointOf(manifest, job.jobId, retentionTag ?? "", request);
    if (policy) {
      const expiry = evaluateRetention(policy, [toRetentionPoint(point)], new Date(manifest.startTime)).expiries.get(point.recoveryPointId)?.OperationalStore;
      if (expiry && point.dataStores.OperationalStore) point.dataStores.OperationalStore.expiresAt = expiry.toISOString();
    }
    await handle.update((current) => {
      current.recoveryPoints = [...current.recoveryPoints.filter((p) => p.recoveryPointId !== point.recoveryPointId), point].sort((a, b) => a.recoveryPointTime.localeCompare(b.recoveryPointTime));
      if (scheduled) {
        const previous = current.schedule.lastSuccessfulBackupTime;
        if (previous === undefined || previous < point.recoveryPointTime) current.schedule.lastSuccessfulBackupTime = point.recoveryPointTime;
        current.schedule.lastBackupJobId = job.jobId;
        current.schedule.lastBackupStatus = manifest.warnings.length > 0 ? "CompletedWithWarnings" : "Completed";
      }
    }, request.abortSignal);
    job.extendedInfo.recoveryPointId = manifest.recoveryPointId;
    job.extendedInfo.recoveryPointTime = manifest.startTime;
    job.extendedInfo.hookResults = manifest.hookResults;
    job.extendedInfo.counts = { items: manifest.items.length, volumeSnapshots: manifest.volumeSnapshots.length, skippedVolumes: manifest.skippedVolumes.length };
    job.dataTransferredInBytes = manifest.archive.sizeInBytes;
    job.warningDetails = manifest.warnings.map((message) => ({ code: "BackupWarning", message }));
    finishJob(job, manifest.warnings.length > 0 ? "CompletedWithWarnings" : "Completed", clock.now());
    return await vault.jobs.save(job);
  } catch (error) {
    const hookResults = isKBackupError(error) ? error.details?.hookResults : undefined;
    if (Array.isArray(hookResults)) job.extendedInfo.hookResults = hookResults;
    if (scheduled && !isKBackupError(error, "Aborted")) {
      await handle
        .update((current) => {
          current.schedule.lastBackupJobId = job.jobId;
          current.schedule.lastBackupStatus = "Failed";
        })
        .catch(() => undefined);
    }
    return vault.jobs.fail(job, error, clock.now());
  }
}
