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
 * Brings an instance's stores in line with its policy at `now`, from a fresh read of its record:
 * makes the copies to the vault store that are due (each recorded with the expiry retention gave
 * it), then deletes the copies that expired: an operational copy with its folder and its volume
 * snapshots, a vault copy through the vault copier; a point left with no copy leaves the catalogue.
 * Soft-deleted points are left to the purge. Expiry deletions are final, whatever the soft-delete
 * setting: soft delete guards against deletion by hand, not against the policy.
 */
export async function applyRetention(handle: InstanceHandle, policy: BackupPolicy, now: Date, abortSignal?: AbortSignal): Promise<RetentionOutcome> {
  const record = await handle.read(abortSignal);
  const live = record.recoveryPoints.filter((point) => !point.softDeleted);
  const plan = evaluateRetention(policy, live.map(toRetentionPoint), now);
  const outcome: RetentionOutcome = { copies: [], deletions: [], warnings: plan.warnings };
  const clock = handle.vault.clock;

  for (const copy of plan.copies) {
    if (!copy.due) continue;
    await handle.vault.copier.copy(
      { instanceName: handle.name, recoveryPointId: copy.pointId, store: handle.requireOperationalStore(), instancePrefix: record.storePrefix },
      { abortSignal },
    );
    await handle.update((current) => {
      const point = current.recoveryPoints.find((candidate) => candidate.recoveryPointId === copy.pointId);
      if (!point || point.dataStores.VaultStore) return false;
      point.dataStores.VaultStore = { createdAt: clock.now().toISOString(), expiresAt: copy.expiresAt.toISOString() };
      return true;
    }, abortSignal);
    outcome.copies.push(copy.pointId);
  }

  for (const deletion of plan.deletions) {
    await removeCopy(handle, deletion.pointId, deletion.dataStore, abortSignal);
    await handle.update((current) => {
      const point = current.recoveryPoints.find((candidate) => candidate.recoveryPointId === deletion.pointId);
      if (!point?.dataStores[deletion.dataStore]) return false;
      delete point.dataStores[deletion.dataStore];
      if (!point.dataStores.OperationalStore && !point.dataStores.VaultStore) {
        current.recoveryPoints = current.recoveryPoints.filter((candidate) => candidate !== point);
      }
      return true;
    }, abortSignal);
    outcome.deletions.push({ recoveryPointId: deletion.pointId, dataStore: deletion.dataStore });
  }
  return outcome;
}
