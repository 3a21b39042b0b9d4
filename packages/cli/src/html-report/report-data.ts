import type { BackupCenter, ComplianceReport, GrowthSeries, InstanceProtectionState, JobOutcomeBucket, RecoveryPointInfo, UsageReport } from "@kbackup/core";

/** One copy of a recovery point on a timeline. */
export interface TimelinePoint {
  recoveryPointId: string;
  time: string;
  expiryTime?: string;
  state: RecoveryPointInfo["recoveryPointState"];
}

/** One instance's recovery points, per store. */
export interface InstanceTimeline {
  vaultName: string;
  instanceName: string;
  stores: { OperationalStore: TimelinePoint[]; VaultStore: TimelinePoint[] };
}

/** Everything the HTML report shows, gathered from a backup center. */
export interface ReportData {
  title: string;
  generatedAt: string;
  vaultNames: string[];
  outcomes: JobOutcomeBucket[];
  timelines: InstanceTimeline[];
  growth: GrowthSeries[];
  compliance: ComplianceReport;
  states: InstanceProtectionState[];
  usage: UsageReport;
}

/** Gathers the report's data from a center that has been refreshed. */
export function reportData(center: BackupCenter, options: { title?: string; now?: Date; graceInMs?: number } = {}): ReportData {
  const now = options.now ?? new Date();
  const instances = center.listInstances();
  return {
    title: options.title ?? "kbackup report",
    generatedAt: now.toISOString(),
    vaultNames: center.listVaults().map((vault) => vault.name),
    outcomes: center.jobOutcomes(),
    timelines: instances.map((instance) => {
      const timeline: InstanceTimeline = { vaultName: instance.vaultName, instanceName: instance.name, stores: { OperationalStore: [], VaultStore: [] } };
      for (const point of instance.recoveryPoints) {
        for (const store of ["OperationalStore", "VaultStore"] as const) {
          const copy = point.dataStores[store];
          if (!copy) continue;
          timeline.stores[store].push({ recoveryPointId: point.recoveryPointId, time: point.recoveryPointTime, ...(copy.expiryTime ? { expiryTime: copy.expiryTime } : {}), state: point.recoveryPointState });
        }
      }
      return timeline;
    }),
    growth: center.storageGrowth(),
    compliance: center.complianceReport({ now, ...(options.graceInMs !== undefined ? { graceInMs: options.graceInMs } : {}) }),
    states: center.protectionStates(),
    usage: center.usage(),
  };
}
