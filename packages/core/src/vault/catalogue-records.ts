import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { JobDetail } from "../jobs/job.js";
import type { KubernetesClusterBackupDatasourceParameters } from "../selection/index.js";
import type { CurrentProtectionState } from "./protection-state.js";
import type { VaultSettings } from "./vault-settings.js";

/** The format version of every catalogue object; a reader refuses others. */
export const CATALOGUE_FORMAT_VERSION = 1;

/** The data stores a recovery point can have copies in. */
export type VaultDataStore = "OperationalStore" | "VaultStore";

/**
 * Where a vault keeps its catalogue in its own object store, all under `vaults/<vault>/`:
 *
 *     vault.json                       the vault's settings (ETag-conditional updates)
 *     policies/<policy>.json           one backup policy each, written once
 *     instances/<instance>.json        a backup instance and its recovery points (ETag-conditional updates)
 *     protected-clusters/<hash>.json   create-only: one cluster with one policy, naming its instance
 *     slots/<instance>/<time>.json     create-only: the claim of one scheduled backup
 *     jobs/<start time>-<job id>.json  one job each, created once and finished once
 *     vault-store/...                  the vault store's copies (the default vault copier)
 *     vault-repository/...             the vault store's copies in a repository (with a vaultKeyProvider)
 *
 * The last two are in the vault store, which may be another store than the catalogue's.
 */
export interface CatalogueKeys {
  vault: string;
  policies: string;
  policy(name: string): string;
  instances: string;
  instance(name: string): string;
  protectedCluster(hash: string): string;
  slots(instanceName: string): string;
  slot(instanceName: string, slot: Date): string;
  jobs: string;
  vaultStore: string;
  vaultRepository: string;
}

/** The catalogue keys of the vault named `vaultName`. */
export function catalogueKeys(vaultName: string): CatalogueKeys {
  const root = `vaults/${vaultName}/`;
  return {
    vault: `${root}vault.json`,
    policies: `${root}policies/`,
    policy: (name) => `${root}policies/${name}.json`,
    instances: `${root}instances/`,
    instance: (name) => `${root}instances/${name}.json`,
    protectedCluster: (hash) => `${root}protected-clusters/${hash}.json`,
    slots: (instanceName) => `${root}slots/${instanceName}/`,
    slot: (instanceName, slot) => `${root}slots/${instanceName}/${compactTime(slot)}.json`,
    jobs: `${root}jobs/`,
    vaultStore: `${root}vault-store/`,
    vaultRepository: `${root}vault-repository/`,
  };
}

/** `2026-01-01T04:00:00.000Z` as `20260101T040000000Z`: sorts by time and is a valid key segment. */
export function compactTime(time: Date): string {
  return time.toISOString().replace(/[-:.]/g, "");
}

/** The vault object. */
export interface VaultRecord {
  formatVersion: number;
  name: string;
  createdAt: string;
  settings: VaultSettings;
}

/** A policy object. */
export interface PolicyRecord {
  formatVersion: number;
  name: string;
  createdAt: string;
  /** The policy as `validateBackupPolicy` returned it. */
  policy: unknown;
}

/** One data store's copy of a recovery point. */
export interface StoreCopyRecord {
  createdAt: string;
  /** Fixed when the copy is made; absent: kept until deleted. */
  expiresAt?: string;
}

/** A recovery point as the catalogue keeps it. */
export interface RecoveryPointRecord {
  recoveryPointId: string;
  recoveryPointTime: string;
  /** The retention rule it follows: its tag, or the rule chosen for an on-demand backup. */
  retentionTag: string;
  /** Set for an on-demand backup given a retention rule. */
  retentionTagOverride?: string;
  onDemand: boolean;
  jobId: string;
  itemCount: number;
  archiveSizeInBytes: number;
  volumeSnapshotCount: number;
  /** The size of each snapshotted volume, for the vault store's size limit. */
  volumeBytes: number[];
  warningCount: number;
  tags: Record<string, string>;
  dataStores: Partial<Record<VaultDataStore, StoreCopyRecord>>;
  /** Set while the point is soft-deleted. */
  softDeleted?: { deletedAt: string; purgeAt: string };
}

/** What the scheduler remembers of an instance. */
export interface ScheduleRecord {
  /** Slots before this time are not due (the time protection was configured or resumed). */
  from: string;
  /** The last slot claimed. */
  lastSlot?: string;
  /** When the last scheduled backup that succeeded was taken (tagging reckons firsts from it). */
  lastSuccessfulBackupTime?: string;
  /** Slots that passed without a backup, in all. */
  missedSlotCount: number;
  /** The slots the last scheduled backup stood in for (at most {@link MAX_RECORDED_MISSED_SLOTS}). */
  lastMissedSlots: string[];
  lastBackupJobId?: string;
  lastBackupStatus?: string;
}

/** The most missed slots kept by name on the instance and on a job; the count is always exact. */
export const MAX_RECORDED_MISSED_SLOTS = 100;

/** A backup instance object: what it protects, how, its state and its recovery points. */
export interface InstanceRecord {
  formatVersion: number;
  name: string;
  createdAt: string;
  cluster: ClusterIdentity;
  /** The name `open`'s `operationalStores` resolver is asked for. */
  operationalStoreName: string;
  /** The instance's folder in its operational store. */
  storePrefix: string;
  snapshotProviderName?: string;
  datasourceParameters: KubernetesClusterBackupDatasourceParameters;
  policyName?: string;
  /** The create-only object that keeps the cluster from being protected twice with the policy. */
  protectedClusterKey: string;
  currentProtectionState: CurrentProtectionState;
  protectionErrorDetails?: JobDetail;
  schedule: ScheduleRecord;
  /** Set while the instance is soft-deleted. */
  softDeleted?: { deletedAt: string; purgeAt: string };
  /** Oldest first. */
  recoveryPoints: RecoveryPointRecord[];
}
