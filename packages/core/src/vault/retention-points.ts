import type { RetentionPoint, StoreCopyState } from "../policy/index.js";
import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { RecoveryPointSummary } from "../recovery-point/manifest.js";
import type { InstanceRecord, RecoveryPointRecord, StoreCopyRecord, VaultDataStore } from "./catalogue-records.js";

function copyState(copy: StoreCopyRecord | undefined): StoreCopyState | undefined {
  if (!copy) return undefined;
  return { present: true, ...(copy.expiresAt ? { expiresAt: new Date(copy.expiresAt) } : {}) };
}

/** A catalogued recovery point as `evaluateRetention` takes it. */
export function toRetentionPoint(point: RecoveryPointRecord): RetentionPoint {
  const operational = copyState(point.dataStores.OperationalStore);
  const vault = copyState(point.dataStores.VaultStore);
  return {
    id: point.recoveryPointId,
    time: new Date(point.recoveryPointTime),
    tag: point.retentionTag,
    dataStores: { ...(operational ? { OperationalStore: operational } : {}), ...(vault ? { VaultStore: vault } : {}) },
    onDemand: point.onDemand,
    ...(point.retentionTagOverride ? { retentionTagOverride: point.retentionTagOverride } : {}),
    volumeBytes: point.volumeBytes,
  };
}

/** A recovery point's copy in one data store, as listings show it (Azure's `RecoveryPointDataStoreDetails`, in part). */
export interface RecoveryPointDataStoreDetails {
  creationTime: string;
  /** When the copy expires; absent: kept until deleted. */
  expiryTime?: string;
}

/** A recovery point as the vault lists it: its summary, retention, copies and state. */
export interface RecoveryPointInfo extends RecoveryPointSummary {
  /** The retention rule it follows. */
  retentionTag: string;
  retentionTagOverride?: string;
  /** True for a backup taken on demand. */
  onDemand: boolean;
  /** Its copies, by data store. */
  dataStores: Partial<Record<VaultDataStore, RecoveryPointDataStoreDetails>>;
  /** The latest expiry of its copies (Azure's `expiryTime`); absent when a copy is kept until deleted. */
  expiryTime?: string;
  /** `SoftDeleted` while it (or its instance) is soft-deleted: listed, not restorable. */
  recoveryPointState: "Completed" | "SoftDeleted";
  /** When a soft-deleted point was deleted, and when it will be purged for good. */
  softDeleted?: { deletionTime: string; purgeTime: string };
}

/** How a catalogued point is listed, within its instance's record. */
export function toRecoveryPointInfo(point: RecoveryPointRecord, instance: InstanceRecord): RecoveryPointInfo {
  const dataStores: RecoveryPointInfo["dataStores"] = {};
  let expiryTime: string | undefined = "";
  for (const store of ["OperationalStore", "VaultStore"] as const) {
    const copy = point.dataStores[store];
    if (!copy) continue;
    dataStores[store] = { creationTime: copy.createdAt, ...(copy.expiresAt ? { expiryTime: copy.expiresAt } : {}) };
    expiryTime = copy.expiresAt === undefined || expiryTime === undefined ? undefined : copy.expiresAt > expiryTime ? copy.expiresAt : expiryTime;
  }
  const deletion = point.softDeleted ?? instance.softDeleted;
  const cluster: ClusterIdentity = { ...instance.cluster };
  return {
    recoveryPointId: point.recoveryPointId,
    recoveryPointTime: point.recoveryPointTime,
    backupInstanceName: instance.name,
    cluster,
    itemCount: point.itemCount,
    archiveSizeInBytes: point.archiveSizeInBytes,
    volumeSnapshotCount: point.volumeSnapshotCount,
    volumeBytes: point.volumeBytes.reduce((sum, bytes) => sum + bytes, 0),
    warningCount: point.warningCount,
    tags: { ...point.tags },
    retentionTag: point.retentionTag,
    ...(point.retentionTagOverride ? { retentionTagOverride: point.retentionTagOverride } : {}),
    onDemand: point.onDemand,
    dataStores,
    ...(expiryTime ? { expiryTime } : {}),
    recoveryPointState: deletion ? "SoftDeleted" : "Completed",
    ...(deletion ? { softDeleted: { deletionTime: deletion.deletedAt, purgeTime: deletion.purgeAt } } : {}),
  };
}
