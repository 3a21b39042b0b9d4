import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { BackupPolicy } from "../policy/index.js";
import type { KubernetesClusterBackupDatasourceParameters } from "../selection/index.js";
import type { CurrentProtectionState, ProtectionStatusDetails } from "../vault/protection-state.js";
import type { RecoveryPointInfo } from "../vault/retention-points.js";
import type { VaultSettings } from "../vault/vault-settings.js";

/**
 * What the backup center knows of one vault: its settings and policies. The center reads it from a
 * `BackupVault` on `refresh`, or is given it through `ingestVault` (for vaults it cannot open, and for
 * tests and benchmarks).
 */
export interface CenterVaultRecord {
  name: string;
  settings: VaultSettings;
  /** The vault's policies, by name. */
  policies: Record<string, BackupPolicy>;
}

/** What the backup center knows of one backup instance: its protection, policy and recovery points. */
export interface CenterInstanceRecord {
  vaultName: string;
  name: string;
  cluster: ClusterIdentity;
  policyName?: string;
  currentProtectionState: CurrentProtectionState;
  protectionStatus: ProtectionStatusDetails;
  datasourceParameters?: KubernetesClusterBackupDatasourceParameters;
  /**
   * The namespaces the instance protects: its `includedNamespaces` less its `excludedNamespaces`, or,
   * when it names none (all namespaces), those of its latest recovery point. Absent when unknown.
   */
  protectedNamespaces?: string[];
  /** Scheduled times that passed without a backup since protection was configured. */
  missedScheduledCount: number;
  /** Set while the instance is soft-deleted. */
  softDeleted?: { deletionTime: string; purgeTime: string };
  /** Every recovery point the vault lists for it (soft-deleted ones too), oldest first. */
  recoveryPoints: RecoveryPointInfo[];
}

/** `vault/instance`: how the center names an instance across vaults. */
export function instanceKey(vaultName: string, instanceName: string): string {
  return `${vaultName}/${instanceName}`;
}
