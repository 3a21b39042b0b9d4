import { aksDefaultPolicy, defaultVaultSettings, type BackupJob, type CenterInstanceRecord, type CenterVaultRecord, type JobOperation, type JobStatus, type RecoveryPointInfo, type VaultSettingsInput } from "@kbackup/core";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

let sequence = 0;

/** A job as a vault records it; `at` is its start. */
export function job(vaultName: string, instanceName: string, at: string, status: JobStatus = "Completed", operation: JobOperation = "Backup", extra: Partial<BackupJob> = {}): BackupJob {
  sequence++;
  const start = Date.parse(at);
  return {
    jobId: `job-${String(sequence).padStart(6, "0")}`,
    operation,
    operationCategory: operation === "Backup" ? "Backup" : "Restore",
    status,
    isUserTriggered: false,
    backupInstanceFriendlyName: instanceName,
    dataSourceName: `aks-${instanceName}`,
    dataSourceType: "Microsoft.ContainerService/managedClusters",
    vaultName,
    startTime: new Date(start).toISOString(),
    ...(status === "InProgress" ? {} : { endTime: new Date(start + 60_000).toISOString(), duration: "00:01:00.000" }),
    ...(status === "Failed" ? { errorDetails: [{ code: "Unavailable", message: "The API server is unavailable." }] } : {}),
    extendedInfo: { additionalDetails: {} },
    ...extra,
  };
}

/** A vault with the default AKS policy as `aks`, and settings on top of the defaults. */
export function vault(name: string, settings: VaultSettingsInput = {}): CenterVaultRecord {
  const base = defaultVaultSettings();
  return {
    name,
    settings: {
      storageSettings: settings.storageSettings ?? base.storageSettings,
      securitySettings: {
        softDeleteSettings: { ...base.securitySettings.softDeleteSettings, ...settings.securitySettings?.softDeleteSettings },
        immutabilitySettings: { ...base.securitySettings.immutabilitySettings, ...settings.securitySettings?.immutabilitySettings },
      },
      featureSettings: base.featureSettings,
    },
    policies: { aks: aksDefaultPolicy() },
  };
}

/** A recovery point at `at`, in the stores named, each copy `bytes` big. */
export function point(instanceName: string, at: string, stores: { operational?: boolean; vault?: boolean; tag?: string; bytes?: number; volumeBytes?: number } = {}): RecoveryPointInfo {
  const time = new Date(at).toISOString();
  const { operational = true, vault: inVault = false, tag = "Default", bytes = 1000, volumeBytes = 0 } = stores;
  return {
    recoveryPointId: `${time.replace(/[-:.]/g, "")}-0000000${instanceName.length % 10}`,
    recoveryPointTime: time,
    backupInstanceName: instanceName,
    cluster: { name: `aks-${instanceName}` },
    itemCount: 10,
    archiveSizeInBytes: bytes,
    volumeSnapshotCount: volumeBytes > 0 ? 1 : 0,
    volumeBytes,
    warningCount: 0,
    tags: {},
    retentionTag: tag,
    onDemand: false,
    dataStores: {
      ...(operational ? { OperationalStore: { creationTime: time, expiryTime: new Date(Date.parse(time) + 7 * DAY).toISOString() } } : {}),
      ...(inVault ? { VaultStore: { creationTime: time, expiryTime: new Date(Date.parse(time) + 84 * DAY).toISOString() } } : {}),
    },
    recoveryPointState: "Completed",
  };
}

/** An instance protected with the vault's `aks` policy. */
export function instance(vaultName: string, name: string, recoveryPoints: RecoveryPointInfo[] = [], extra: Partial<CenterInstanceRecord> = {}): CenterInstanceRecord {
  return {
    vaultName,
    name,
    cluster: { name: `aks-${name}` },
    policyName: "aks",
    currentProtectionState: "ProtectionConfigured",
    protectionStatus: { status: "ProtectionConfigured" },
    protectedNamespaces: ["app"],
    missedScheduledCount: 0,
    recoveryPoints,
    ...extra,
  };
}
