import { KBackupError } from "../errors.js";
import type { InstanceRecord } from "./catalogue-records.js";
import type { InstanceHandle } from "./instance-handle.js";
import { listKeys } from "./json-objects.js";
import { purgeRecoveryPoint } from "./remove-copies.js";
import { isImmutable, softDeleteRetentionInMs } from "./vault-settings.js";

function conflict(handle: InstanceHandle, message: string): KBackupError {
  return new KBackupError("Conflict", `Backup instance ${handle.name}: ${message}`, { details: { currentProtectionState: handle.record.currentProtectionState } });
}

function notSoftDeleted(handle: InstanceHandle, record: InstanceRecord): void {
  if (record.softDeleted) throw conflict(handle, "it is soft-deleted; undelete it first");
}

/** Suspends scheduled backups; retention goes on (`BackupSchedulesSuspended`). Conflict when stopped or soft-deleted. */
export async function suspendBackups(handle: InstanceHandle, abortSignal?: AbortSignal): Promise<void> {
  await handle.update((record) => {
    notSoftDeleted(handle, record);
    if (record.currentProtectionState === "BackupSchedulesSuspended") return false;
    if (record.currentProtectionState === "ProtectionStopped") throw conflict(handle, "protection is stopped; resume it instead");
    record.currentProtectionState = "BackupSchedulesSuspended";
    return true;
  }, abortSignal);
}

/**
 * Resumes backups and retention (`ProtectionConfigured`). The slots that passed while suspended or
 * stopped are not due: the next backup is at the next scheduled time. Conflict when soft-deleted.
 */
export async function resumeProtection(handle: InstanceHandle, abortSignal?: AbortSignal): Promise<void> {
  const now = handle.vault.clock.now().toISOString();
  await handle.update((record) => {
    notSoftDeleted(handle, record);
    if (record.currentProtectionState === "ProtectionConfigured") return false;
    record.currentProtectionState = "ProtectionConfigured";
    record.schedule.from = now;
    return true;
  }, abortSignal);
}

/**
 * Throws PermissionDenied when the vault is immutable and one of `points` has a vault-store copy
 * that has not expired.
 */
export async function checkImmutability(handle: InstanceHandle, recoveryPointIds: readonly string[], action: string, abortSignal?: AbortSignal): Promise<void> {
  const settings = await handle.vault.settings(abortSignal);
  if (!isImmutable(settings)) return;
  const now = handle.vault.clock.now().toISOString();
  for (const point of handle.record.recoveryPoints) {
    if (!recoveryPointIds.includes(point.recoveryPointId)) continue;
    const vault = point.dataStores.VaultStore;
    if (vault && (vault.expiresAt === undefined || vault.expiresAt > now)) {
      throw new KBackupError("PermissionDenied", `The vault is immutable: recovery point ${point.recoveryPointId} cannot ${action} before its vault-store copy expires${vault.expiresAt ? ` at ${vault.expiresAt}` : ""}.`, {
        field: "recoveryPointId",
        details: { recoveryPointId: point.recoveryPointId, expiryTime: vault.expiresAt },
      });
    }
  }
}

/**
 * Stops protection. Without `deleteData`, backups and retention stop and every recovery point is
 * kept until deleted (`ProtectionStopped`). With it, the instance and its recovery points are
 * deleted: soft-deleted when the vault's soft delete is on (kept, listed, not restorable, until the
 * purge time; `undelete` brings them back), at once otherwise.
 * @returns true when the instance was deleted for good.
 * @throws PermissionDenied (immutable vault, a vault-store copy not yet expired) before anything changes.
 */
export async function stopProtection(handle: InstanceHandle, deleteData: boolean, abortSignal?: AbortSignal): Promise<boolean> {
  const record = await handle.read(abortSignal);
  if (!deleteData) {
    notSoftDeleted(handle, record);
    await handle.update((current) => {
      notSoftDeleted(handle, current);
      if (current.currentProtectionState === "ProtectionStopped") return false;
      current.currentProtectionState = "ProtectionStopped";
      return true;
    }, abortSignal);
    return false;
  }
  if (record.softDeleted) return false;
  await checkImmutability(handle, record.recoveryPoints.map((point) => point.recoveryPointId), "be deleted", abortSignal);
  const retention = softDeleteRetentionInMs(await handle.vault.settings(abortSignal));
  if (retention === undefined) {
    await purgeInstance(handle, abortSignal);
    return true;
  }
  const now = handle.vault.clock.now();
  await handle.update((current) => {
    if (current.softDeleted) return false;
    current.softDeleted = { deletedAt: now.toISOString(), purgeAt: new Date(now.getTime() + retention).toISOString() };
    current.currentProtectionState = "SoftDeleted";
    return true;
  }, abortSignal);
  return false;
}

/**
 * Brings back a soft-deleted instance with its recovery points, protection stopped (Azure's
 * "stop protection, retain data"): resume it to take backups again.
 * @throws Conflict when the instance is not soft-deleted or its purge time has passed.
 */
export async function undeleteInstance(handle: InstanceHandle, abortSignal?: AbortSignal): Promise<void> {
  const now = handle.vault.clock.now().toISOString();
  await handle.update((record) => {
    if (!record.softDeleted) throw conflict(handle, "it is not soft-deleted");
    if (record.softDeleted.purgeAt <= now) throw conflict(handle, `its purge time ${record.softDeleted.purgeAt} has passed`);
    delete record.softDeleted;
    record.currentProtectionState = "ProtectionStopped";
  }, abortSignal);
}

/**
 * Deletes an instance for good: every copy of every recovery point, its slot claims, the claim on its
 * cluster and policy, and its record. Idempotent.
 */
export async function purgeInstance(handle: InstanceHandle, abortSignal?: AbortSignal): Promise<void> {
  const { vault } = handle;
  const record = await handle.read(abortSignal);
  for (const point of record.recoveryPoints) await purgeRecoveryPoint(handle, point.recoveryPointId, abortSignal);
  for (const key of await listKeys(vault.store, vault.keys.slots(handle.name), abortSignal)) await vault.store.delete(key, { abortSignal });
  await vault.store.delete(record.protectedClusterKey, { abortSignal });
  await vault.store.delete(vault.keys.instance(handle.name), { abortSignal });
  vault.forget(handle.name);
}
