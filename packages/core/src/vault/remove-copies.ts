import { KBackupError, isKBackupError } from "../errors.js";
import { recoveryPointKeys } from "../recovery-point/layout.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import type { VaultDataStore } from "./catalogue-records.js";
import type { InstanceHandle } from "./instance-handle.js";

/**
 * Deletes a recovery point's operational copy for good: its volume snapshots (through the
 * instance's snapshot provider), then its manifest, so that what a cut-short delete leaves is
 * uncommitted garbage the next backup collects, then the rest of its folder. Idempotent.
 * @throws NotFound when the copy has snapshots and the instance has no snapshot provider bound.
 */
export async function removeOperationalCopy(handle: InstanceHandle, recoveryPointId: string, abortSignal?: AbortSignal): Promise<void> {
  const store = handle.requireOperationalStore();
  const prefix = handle.record.storePrefix;
  const keys = recoveryPointKeys(prefix, recoveryPointId);
  const manifest = await readManifest(store, prefix, recoveryPointId, abortSignal).catch((error: unknown) => {
    if (isKBackupError(error, "NotFound")) return undefined;
    throw error;
  });
  const snapshots = manifest?.volumeSnapshots ?? [];
  if (snapshots.length > 0) {
    const provider = handle.binding.snapshotProvider;
    if (!provider) {
      throw new KBackupError("NotFound", `Recovery point ${recoveryPointId} has volume snapshots, and no snapshot provider is bound for backup instance ${handle.name} to delete them.`, { field: "snapshotProviders" });
    }
    for (const snapshot of snapshots) {
      await provider.deleteSnapshot(snapshot.snapshotHandle, { abortSignal }).catch((error: unknown) => {
        if (!isKBackupError(error, "NotFound")) throw error;
      });
    }
  }
  await store.delete(keys.manifest, { abortSignal });
  const rest: string[] = [];
  for await (const info of store.list(keys.folder, { abortSignal })) rest.push(info.key);
  for (const key of rest) await store.delete(key, { abortSignal });
}

/** Deletes one copy of a recovery point for good: the operational one, or the vault store's. Idempotent. */
export async function removeCopy(handle: InstanceHandle, recoveryPointId: string, dataStore: VaultDataStore, abortSignal?: AbortSignal): Promise<void> {
  if (dataStore === "OperationalStore") await removeOperationalCopy(handle, recoveryPointId, abortSignal);
  else await handle.vault.copier.delete(handle.name, recoveryPointId, { abortSignal });
}

/**
 * Deletes a recovery point for good, every copy of it, and then its catalogue entry. Idempotent:
 * a point already gone is not an error.
 */
export async function purgeRecoveryPoint(handle: InstanceHandle, recoveryPointId: string, abortSignal?: AbortSignal): Promise<void> {
  const point = handle.record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
  if (!point) return;
  for (const dataStore of ["OperationalStore", "VaultStore"] as const) {
    if (point.dataStores[dataStore]) await removeCopy(handle, recoveryPointId, dataStore, abortSignal);
  }
  await handle.update((record) => {
    const before = record.recoveryPoints.length;
    record.recoveryPoints = record.recoveryPoints.filter((candidate) => candidate.recoveryPointId !== recoveryPointId);
    return record.recoveryPoints.length !== before;
  }, abortSignal);
}
