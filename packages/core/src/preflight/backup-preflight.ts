import type { ClusterClient } from "../ports/cluster-client.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { compileSelection, type KubernetesClusterBackupDatasourceParameters, type Selection } from "../selection/index.js";
import type { VaultSettings } from "../vault/vault-settings.js";
import { backupAccessNeeds } from "./backup-access.js";
import { checkBackupVolumes } from "./check-backup-volumes.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { checkClusterNamespaces } from "./check-namespaces.js";
import { checkPermissions } from "./check-permissions.js";
import { checkHookReferences } from "./check-references.js";
import { errorsFirst, preflightFinding, type PreflightFinding } from "./findings.js";
import { probeCluster } from "./probe-cluster.js";
import { probeStore } from "./probe-store.js";
import { checkVaultStoreSettings } from "./vault-store-settings.js";

/** What a backup works with: the live objects (absent ones could not be resolved) and its parameters. */
export interface BackupPreflightInput {
  /** The cluster backed up; `undefined` when none is bound. */
  cluster: ClusterClient | undefined;
  /** The cluster's name, for findings when no client is bound. */
  clusterName: string;
  snapshotProvider?: SnapshotProvider;
  /** Where recovery points go; `undefined` when none is bound. */
  operationalStore: ObjectStore | undefined;
  /** The instance's folder in the operational store, ending in `/` (or ""). */
  operationalPrefix: string;
  parameters: KubernetesClusterBackupDatasourceParameters;
  /** Set when the instance's recovery points go to the vault store too. */
  vaultStore?: {
    /** The vault store; `undefined` when the vault reaches it only through a custom copier. */
    store: ObjectStore | undefined;
    /** The instance's folder in it, ending in `/`. */
    prefix: string;
    settings: VaultSettings;
  };
}

/**
 * Every check of a backup before it runs, writing nothing but store probes: the cluster answers
 * (discovery and a list); the selection compiles against its types; the included namespaces
 * exist; the cluster allows `list` and `get` on every type the backup lists (and reading the hooks
 * and exec in pods when hooks are referenced); the referenced backup hooks exist and parse; the
 * volumes that would be backed up without their data (Warnings); the operational store (and the
 * vault store, when used) answers and takes writes; the vault store backs the vault's redundancy and
 * immutability settings (Warnings). Returns every finding, Errors first; never throws but for an abort.
 */
export async function backupPreflight(input: BackupPreflightInput, options: OperationOptions = {}): Promise<PreflightFinding[]> {
  const { cluster, parameters } = input;
  const findings: PreflightFinding[] = [];
  if (!cluster) {
    findings.push(preflightFinding("ClusterUnreachable", `cluster ${input.clusterName}`, `No cluster client is bound to ${input.clusterName}.`, { remedy: "Give the vault a cluster client for it (protect's cluster, or open()'s clusters resolver)." }));
  } else {
    const probe = await probeCluster(cluster, "cluster", options);
    findings.push(...probe.findings);
    if (probe.discovered) {
      let selection: Selection | undefined;
      try {
        selection = compileSelection(parameters, probe.discovered, { field: "datasourceParameters" });
      } catch (error) {
        rethrowAbort(error);
        findings.push(preflightFinding("SelectionInvalid", "datasourceParameters", messageOf(error)));
      }
      findings.push(...(await checkClusterNamespaces(cluster, parameters.includedNamespaces ?? [], options)));
      if (selection) findings.push(...(await checkPermissions(cluster, backupAccessNeeds(probe.discovered, selection, parameters), options)));
      findings.push(...(await checkHookReferences(cluster, parameters.backupHookReferences ?? [], "BackupHook", options)));
      if (selection) {
        const vaultTier = input.vaultStore !== undefined;
        findings.push(...(await checkBackupVolumes(cluster, probe.discovered, selection, parameters, input.snapshotProvider, { vaultTier, ...options })));
      }
    }
  }
  if (!input.operationalStore) {
    findings.push(preflightFinding("StoreUnreachable", "operationalStore", "No operational store is bound to the backup instance.", { remedy: "Give the vault the instance's operational store (protect's operationalStore, or open()'s operationalStores resolver)." }));
  } else {
    findings.push(...(await probeStore(input.operationalStore, { role: "operationalStore", prefix: input.operationalPrefix, write: true, ...options })));
  }
  const vault = input.vaultStore;
  if (vault?.store) {
    findings.push(...(await probeStore(vault.store, { role: "vaultStore", prefix: vault.prefix, write: true, ...options })));
    findings.push(...checkVaultStoreSettings(vault.store.capabilities, vault.settings));
  }
  return errorsFirst(findings);
}
