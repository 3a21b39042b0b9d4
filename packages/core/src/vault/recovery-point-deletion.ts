import { KBackupError, invalidArgument } from "../errors.js";
import type { RecoveryPointRecord, VaultDataStore } from "./catalogue-records.js";
import type { InstanceHandle } from "./instance-handle.js";
import { checkImmutability } from "./protection-lifecycle.js";
import { purgeRecoveryPoint } from "./remove-copies.js";
import { isImmutable, softDeleteRetentionInMs } from "./vault-settings.js";

function find(handle: InstanceHandle, recoveryPointId: string): RecoveryPointRecord {
  const point = handle.record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
  if (!point) throw new KBackupError("NotFound", `Backup instance ${handle.name} has no recovery point ${recoveryPointId}.`, { field: "recoveryPointId" });
  return point;
}

/**
 * Deletes a recovery point, every copy of it: soft-deleted when the vault's soft delete is on (kept,
 * listed as soft-deleted with its purge time, not restorable, until `runDue` purges it after the purge
 * time), for good otherwise. Deleting a soft-deleted point again changes nothing.
 * @returns true when the point was deleted for good.
 * @throws NotFound for an unknown point; PermissionDenied when the vault is immutable and the point
 *   has a vault-store copy that has not expired.
 */
export async function deleteRecoveryPoint(handle: InstanceHandle, recoveryPointId: string, abortSignal?: AbortSignal): Promise<boolean> {
  await handle.read(abortSignal);
  const point = find(handle, recoveryPointId);
  if (point.softDeleted || handle.record.softDeleted) return false;
  await checkImmutability(handle, [recoveryPointId], "be deleted", abortSignal);
  const retention = softDeleteRetentionInMs(await handle.vault.settings(abortSignal));
  if (retention === undefined) {
    await purgeRecoveryPoint(handle, recoveryPointId, abortSignal);
    return true;
  }
  const now = handle.vault.clock.now();
  await handle.update((record) => {
    const current = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
    if (!current || current.softDeleted) return false;
    current.softDeleted = { deletedAt: now.toISOString(), purgeAt: new Date(now.getTime() + retention).toISOString() };
    return true;
  }, abortSignal);
  return false;
}

/**
 * Brings back a soft-deleted recovery point as it was.
 * @throws NotFound for an unknown (or purged) point; Conflict when it is not soft-deleted or its purge
 *   time has passed.
 */
export async function undeleteRecoveryPoint(handle: InstanceHandle, recoveryPointId: string, abortSignal?: AbortSignal): Promise<void> {
  await handle.read(abortSignal);
  find(handle, recoveryPointId);
  const now = handle.vault.clock.now().toISOString();
  await handle.update((record) => {
    const point = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
    if (!point) throw new KBackupError("NotFound", `Backup instance ${handle.name} has no recovery point ${recoveryPointId}.`, { field: "recoveryPointId" });
    if (!point.softDeleted) throw new KBackupError("Conflict", `Recovery point ${recoveryPointId} is not soft-deleted.`, { field: "recoveryPointId" });
    if (point.softDeleted.purgeAt <= now) throw new KBackupError("Conflict", `Recovery point ${recoveryPointId} passed its purge time ${point.softDeleted.purgeAt}.`, { field: "recoveryPointId" });
    delete point.softDeleted;
  }, abortSignal);
}

/**
 * Sets when one copy of a recovery point expires. Retention deletes the copy at the new time.
 * @throws NotFound for an unknown point or a store without a copy; InvalidArgument for an invalid time;
 *   PermissionDenied when the vault is immutable and the change would shorten an unexpired
 *   vault-store copy's retention.
 */
export async function updateRecoveryPointExpiry(handle: InstanceHandle, recoveryPointId: string, dataStore: VaultDataStore, expiryTime: Date, abortSignal?: AbortSignal): Promise<void> {
  if (dataStore !== "OperationalStore" && dataStore !== "VaultStore") throw invalidArgument("dataStore", "must be OperationalStore or VaultStore");
  if (!(expiryTime instanceof Date && !Number.isNaN(expiryTime.getTime()))) throw invalidArgument("expiryTime", "must be a valid Date");
  await handle.read(abortSignal);
  const point = find(handle, recoveryPointId);
  const copy = point.dataStores[dataStore];
  if (!copy) throw new KBackupError("NotFound", `Recovery point ${recoveryPointId} has no ${dataStore} copy.`, { field: "dataStore" });
  const next = expiryTime.toISOString();
  const shortens = copy.expiresAt === undefined || next < copy.expiresAt;
  if (dataStore === "VaultStore" && shortens && isImmutable(await handle.vault.settings(abortSignal))) {
    await checkImmutability(handle, [recoveryPointId], "have its retention shortened", abortSignal);
  }
  await handle.update((record) => {
    const current = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId)?.dataStores[dataStore];
    if (!current) throw new KBackupError("NotFound", `Recovery point ${recoveryPointId} has no ${dataStore} copy.`, { field: "dataStore" });
    current.expiresAt = next;
  }, abortSignal);
}

/** Purges the instance's soft-deleted recovery points whose purge time has come; returns their ids. */
export async function purgeDueRecoveryPoints(handle: InstanceHandle, now: Date, abortSignal?: AbortSignal): Promise<string[]> {
  const due = handle.record.recoveryPoints.filter((point) => point.softDeleted && point.softDeleted.purgeAt <= now.toISOString());
  for (const point of due) await purgeRecoveryPoint(handle, point.recoveryPointId, abortSignal);
  return due.map((point) => point.recoveryPointId);
}
