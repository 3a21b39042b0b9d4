// Cluster upgrade: the workloads of a cluster moved to a new, upgraded cluster. Everything the old
// cluster's backup holds is restored into the new one, persistent volumes made from their
// snapshots; what the new cluster already has (its built-in storage classes, the `default`
// namespace's `kubernetes` service) is skipped. Then the new cluster is protected and the old one's
// protection stopped, its recovery points kept. Everything runs in memory.
//
//   npm run build && node examples/cluster-upgrade/cluster-upgrade.ts
import { fileURLToPath } from "node:url";
import { BackupVault, type BackupInstance, type BackupJob, type RestorePlan, type ResourceRef } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { SAMPLE_CLUSTER_IDENTITY, sampleCluster } from "@kbackup/testing";

const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const SERVICES: ResourceRef = { group: "", version: "v1", resource: "services" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };

/** What the example did, for a reader or a test to check. */
export interface ClusterUpgradeResult {
  old: MemoryCluster;
  upgraded: MemoryCluster;
  backup: BackupJob;
  /** What the restore would do, item by item, computed before it with nothing written. */
  plan: RestorePlan;
  restore: BackupJob;
  /** The new cluster's instance and its first backup. */
  upgradedInstance: BackupInstance;
  firstBackupOfUpgraded: BackupJob;
  /** The old cluster's instance, its protection stopped. */
  oldInstance: BackupInstance;
}

/** Options of {@link run}. */
export interface RunOptions {
  log?: (line: string) => void;
}

/** Builds the upgraded cluster as its platform team hands it over: AKS's storage classes and the `default` namespace. */
async function upgradedCluster(): Promise<MemoryCluster> {
  const cluster = new MemoryCluster({
    identity: { ...SAMPLE_CLUSTER_IDENTITY, name: "aks-sample-v2", id: `${SAMPLE_CLUSTER_IDENTITY.id}-v2` },
  });
  await cluster.create(STORAGE_CLASSES, {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "managed-csi", labels: { "kubernetes.io/cluster-service": "true" } },
    provisioner: "disk.csi.azure.com",
    parameters: { skuname: "StandardSSD_ZRS" },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  });
  await cluster.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  await cluster.create(SERVICES, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: { clusterIP: "10.0.0.1", ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 443 }] },
  });
  return cluster;
}

/**
 * Backs up the whole sample cluster (every namespace but the system ones, cluster-scoped objects,
 * volume snapshots), plans and runs the restore into the upgraded cluster, then moves protection.
 */
export async function run(options: RunOptions = {}): Promise<ClusterUpgradeResult> {
  const log = options.log ?? (() => {});
  const old = await sampleCluster();
  const snapshots = new MemorySnapshotProvider(old);
  const store = new MemoryObjectStore();
  const vault = new BackupVault({ name: "prod-vault" });
  const oldInstance = await vault.protect({
    name: "aks-sample",
    cluster: old,
    snapshotProvider: snapshots,
    operationalStore: store,
    datasourceParameters: { snapshotVolumes: true, includeClusterScopeResources: true },
  });
  const backup = await oldInstance.backupNow();
  const recoveryPointId = backup.extendedInfo.recoveryPointId;
  if (!recoveryPointId) throw new Error(`The backup ended ${backup.status}: ${JSON.stringify(backup.errorDetails)}`);
  log(`backup of ${old.identity.name}: ${backup.status}, ${JSON.stringify(backup.extendedInfo.counts)}`);
  for (const warning of backup.warningDetails ?? []) log(`  warning: ${warning.message}`);

  const upgraded = await upgradedCluster();
  // The same snapshots, restored into the new cluster: a cloud's disk snapshots reach any cluster of the subscription.
  const restoreOptions = { targetCluster: upgraded, targetSnapshotProvider: snapshots.forCluster(upgraded) };
  const criteria = { conflictPolicy: "Skip", persistentVolumeRestoreMode: "RestoreWithVolumeData" };
  const plan = await oldInstance.planRestore(recoveryPointId, criteria, restoreOptions);
  log(`plan: ${JSON.stringify(plan.counts)}`);
  for (const item of plan.items.filter((planned) => planned.outcome !== "Created")) log(`  ${item.outcome} ${item.kind} ${item.namespace ?? ""}/${item.name}: ${item.reason}`);
  const restore = await oldInstance.restore(recoveryPointId, criteria, restoreOptions);
  log(`restore into ${upgraded.identity.name}: ${restore.status}, ${JSON.stringify(restore.extendedInfo.counts)}`);
  for (const warning of restore.warningDetails ?? []) log(`  warning: ${warning.message}`);

  // The new cluster is protected from now on; the old one takes no more backups, its recovery points stay.
  const upgradedInstance = await vault.protect({
    name: "aks-sample-v2",
    cluster: upgraded,
    snapshotProvider: snapshots.forCluster(upgraded),
    operationalStore: store,
    datasourceParameters: { snapshotVolumes: true, includeClusterScopeResources: true },
  });
  const firstBackupOfUpgraded = await upgradedInstance.backupNow();
  log(`first backup of ${upgraded.identity.name}: ${firstBackupOfUpgraded.status}`);
  await oldInstance.stopProtection();
  log(`${oldInstance.name}: ${oldInstance.currentProtectionState}`);
  return { old, upgraded, backup, plan, restore, upgradedInstance, firstBackupOfUpgraded, oldInstance };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await run({ log: (line) => console.log(line) });
  process.exitCode = result.restore.status === "Failed" ? 1 : 0;
}
