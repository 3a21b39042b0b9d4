import type { JobStatus } from "../jobs/job.js";
import type { JobDetail } from "../jobs/job.js";
import type { CurrentProtectionState, ProtectionStatus } from "../vault/protection-state.js";
import type { CenterInstanceRecord } from "./center-records.js";
import type { InstanceJobFacts } from "./job-index.js";

/** Where one instance's protection stands, with its latest backup and recovery points. */
export interface InstanceProtectionState {
  vaultName: string;
  instanceName: string;
  clusterName: string;
  policyName?: string;
  protectionStatus: ProtectionStatus;
  currentProtectionState: CurrentProtectionState;
  errorDetails?: JobDetail;
  softDeleted: boolean;
  lastBackupTime?: string;
  lastBackupStatus?: JobStatus;
  lastSuccessfulBackupTime?: string;
  latestRecoveryPointTime?: string;
  /** Recovery points with a copy in each store (soft-deleted ones left out). */
  recoveryPoints: { OperationalStore: number; VaultStore: number };
  missedScheduledCount: number;
}

/** The protection state of an instance from its record and its latest jobs. */
export function protectionStateOf(instance: CenterInstanceRecord, facts: InstanceJobFacts): InstanceProtectionState {
  const live = instance.recoveryPoints.filter((point) => point.recoveryPointState === "Completed");
  const latestPoint = live.at(-1)?.recoveryPointTime;
  const successes = [facts.lastSuccessfulBackup?.startTime, latestPoint].filter((time): time is string => time !== undefined).sort();
  return {
    vaultName: instance.vaultName,
    instanceName: instance.name,
    clusterName: instance.cluster.name,
    ...(instance.policyName !== undefined ? { policyName: instance.policyName } : {}),
    protectionStatus: instance.protectionStatus.status,
    currentProtectionState: instance.currentProtectionState,
    ...(instance.protectionStatus.errorDetails ? { errorDetails: instance.protectionStatus.errorDetails } : {}),
    softDeleted: instance.softDeleted !== undefined,
    ...(facts.lastBackup ? { lastBackupTime: facts.lastBackup.startTime, lastBackupStatus: facts.lastBackup.status } : {}),
    ...(successes.length > 0 ? { lastSuccessfulBackupTime: successes.at(-1) } : {}),
    ...(latestPoint ? { latestRecoveryPointTime: latestPoint } : {}),
    recoveryPoints: {
      OperationalStore: live.filter((point) => point.dataStores.OperationalStore).length,
      VaultStore: live.filter((point) => point.dataStores.VaultStore).length,
    },
    missedScheduledCount: instance.missedScheduledCount,
  };
}
