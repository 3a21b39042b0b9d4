import { isKBackupError } from "../errors.js";
import type { OperationOptions } from "../ports/options.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import type { KubernetesClusterBackupDatasourceParameters } from "../selection/index.js";
import { collect } from "../util/paged.js";
import type { BackupInstance } from "../vault/backup-instance.js";
import type { BackupVault } from "../vault/backup-vault.js";
import type { RecoveryPointInfo } from "../vault/retention-points.js";
import type { CenterInstanceRecord, CenterVaultRecord } from "./center-records.js";

/** Options of {@link readVault}. */
export interface ReadVaultOptions extends OperationOptions {
  /**
   * Read the latest recovery point's manifest of an instance that protects all namespaces, to learn
   * which it protects; true by default.
   */
  readManifests?: boolean;
  /** Namespaces already read, by recovery point id: filled and reused across reads. */
  namespaceCache?: Map<string, string[]>;
}

/** What {@link readVault} returns. */
export interface VaultReading {
  vault: CenterVaultRecord;
  instances: CenterInstanceRecord[];
}

/** The namespaces a backup's parameters name: included less excluded; undefined when they name none (all). */
export function namedNamespaces(parameters: KubernetesClusterBackupDatasourceParameters | undefined): string[] | undefined {
  const included = parameters?.includedNamespaces ?? [];
  if (included.length === 0) return undefined;
  const excluded = new Set(parameters?.excludedNamespaces ?? []);
  return [...new Set(included)].filter((name) => !excluded.has(name)).sort();
}

/** The namespaces a recovery point holds: its Namespace objects and the namespaces of its objects. */
export function manifestNamespaces(manifest: RecoveryPointManifest): string[] {
  const names = new Set<string>();
  for (const item of manifest.items) {
    if (item.namespace) names.add(item.namespace);
    if (item.kind === "Namespace" && item.group === "") names.add(item.name);
  }
  return [...names].sort();
}

async function namespacesOf(instance: BackupInstance, points: RecoveryPointInfo[], options: ReadVaultOptions): Promise<string[] | undefined> {
  const named = namedNamespaces(instance.datasourceParameters);
  if (named || options.readManifests === false) return named;
  const latest = points.filter((point) => point.recoveryPointState === "Completed").at(-1);
  if (!latest) return undefined;
  const cached = options.namespaceCache?.get(latest.recoveryPointId);
  if (cached) return [...cached];
  try {
    const names = manifestNamespaces(await instance.getRecoveryPoint(latest.recoveryPointId, options));
    options.namespaceCache?.set(latest.recoveryPointId, names);
    return names;
  } catch (error) {
    // A store this process cannot reach leaves the namespaces unknown; the rest of the reading stands.
    if (isKBackupError(error, "NotFound") || isKBackupError(error, "Integrity")) return undefined;
    throw error;
  }
}

/**
 * Reads what the backup center needs of a vault as this process knows it (call `vault.refresh()`
 * first to see other processes' changes): its settings and policies, and each instance's protection
 * and recovery points, read afresh. An instance purged while being read is left out.
 * @throws what the vault's store throws.
 */
export async function readVault(vault: BackupVault, options: ReadVaultOptions = {}): Promise<VaultReading> {
  const record: CenterVaultRecord = { name: vault.name, settings: vault.settings, policies: Object.fromEntries(vault.listPolicies().map(({ name, policy }) => [name, policy])) };
  const instances: CenterInstanceRecord[] = [];
  for (const instance of vault.listInstances()) {
    let points: RecoveryPointInfo[];
    try {
      points = await collect(instance.listRecoveryPoints(options));
    } catch (error) {
      if (isKBackupError(error, "NotFound")) continue;
      throw error;
    }
    const namespaces = await namespacesOf(instance, points, options);
    const softDeleted = instance.softDeleted;
    instances.push({
      vaultName: vault.name,
      name: instance.name,
      cluster: instance.cluster,
      ...(instance.policyName !== undefined ? { policyName: instance.policyName } : {}),
      currentProtectionState: instance.currentProtectionState,
      protectionStatus: instance.protectionStatus,
      datasourceParameters: instance.datasourceParameters,
      ...(namespaces ? { protectedNamespaces: namespaces } : {}),
      missedScheduledCount: instance.missedScheduledCount,
      ...(softDeleted ? { softDeleted } : {}),
      recoveryPoints: points,
    });
  }
  return { vault: record, instances };
}
