import { evaluateRetention, type BackupPolicy, type RetentionWarning } from "../policy/index.js";
import type { VaultDataStore } from "./catalogue-records.js";
import type { InstanceHandle } from "./instance-handle.js";
import { removeCopy } from "./remove-copies.js";
import { toRetentionPoint } from "./retention-points.js";

/** What retention did for one instance. */
export interface RetentionOutcome {
  /** Recovery points copied to the vault store. */
  copies: string[];
  /** Copies deleted because they expired. */
  deletions: Array<{ recoveryPointId: string; dataStore: VaultDataStore }>;
  warnings: RetentionWarning[];
}

/**
 * Brings an instance's stores in line with its policy at `now`, from its record as last read (the
 * scheduler has just read it; every step below is safe to repeat on a stale record): makes the copies
 * to the vault store that are due, then deletes the copies that expired (an operational copy with its
 * folder and its volume snapshots, a vault copy through the vault copier), then records it all in one
 * update: each copy with the expiry retention gave it, each deleted copy gone, and a point left with no
 * copy out of the catalogue. Soft-deleted points are left to the purge. Expiry deletions are final,
 * whatever the soft-delete setting: soft delete guards against deletion by hand, not against the policy.
 */
export async function applyRetention(handle: InstanceHandle, policy: BackupPolicy, now: Date, abortSignal?: AbortSignal): Promise<RetentionOutcome> {
  const record = handle.record;
  const live = record.recoveryPoints.filter((point) => !point.softDeleted);
  const plan = evaluateRetention(policy, live.map(toRetentionPoint), now);
  const outcome: RetentionOutcome = { copies: [], deletions: [], warnings: plan.warnings };
  const due = plan.copies.filter((copy) => copy.due);
  if (due.length === 0 && plan.deletions.length === 0) return outcome;

  const copiedAt = new Map<string, { createdAt: string; expiresAt: string }>();
  for (const copy of due) {
    await handle.vault.copier.copy(
      {
        instanceName: handle.name,
        recoveryPointId: copy.pointId,
        store: handle.requireOperationalStore(),
        instancePrefix: record.storePrefix,
        ...(handle.binding.snapshotProvider ? { snapshotProvider: handle.binding.snapshotProvider } : {}),
      },
      { abortSignal },
    );
    copiedAt.set(copy.pointId, { createdAt: handle.vault.clock.now().toISOString(), expiresAt: copy.expiresAt.toISOString() });
    outcome.copies.push(copy.pointId);
  }
  for (const deletion of plan.deletions) {
    await removeCopy(handle, deletion.pointId, deletion.dataStore, abortSignal);
    outcome.deletions.push({ recoveryPointId: deletion.pointId, dataStore: deletion.dataStore });
  }

  await handle.update((current) => {
    for (const point of current.recoveryPoints) {
      const copy = copiedAt.get(point.recoveryPointId);
      if (copy && !point.dataStores.VaultStore) point.dataStores.VaultStore = copy;
    }
    for (const deletion of outcome.deletions) {
      const point = current.recoveryPoints.find((candidate) => candidate.recoveryPointId === deletion.recoveryPointId);
      if (point) delete point.dataStores[deletion.dataStore];
    }
    current.recoveryPoints = current.recoveryPoints.filter((point) => point.dataStores.OperationalStore || point.dataStores.VaultStore);
    return true;
  }, abortSignal);
  return outcome;
}
