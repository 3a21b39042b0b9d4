// Clone to dev/test: the production `shop` namespace restored into a dev cluster as `shop-dev`, with
// resource modifiers that make it a dev copy: one replica, a cheaper storage class, images from the
// dev registry, and no priority class. Everything runs in memory.
//
//   npm run build && node examples/clone-to-dev/clone-to-dev.ts
import { fileURLToPath } from "node:url";
import { BackupVault, collect, type BackupJob, type KubeObject, type ResourceRef } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { SAMPLE_CLUSTER_IDENTITY, sampleCluster } from "@kbackup/testing";

const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const CONFIGMAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };

/**
 * The resource modifier rules (Velero's `version: v1` format), as a dev team would keep them in a
 * ConfigMap of the dev cluster. Conditions name the backed-up namespace (`shop`), since rules run
 * before the namespace mapping.
 */
export const DEV_RULES = `version: v1
resourceModifierRules:
  # One replica of every workload.
  - conditions:
      groupResource: "{deployments,statefulsets}.apps"
      namespaces: [shop]
    patches:
      - operation: replace
        path: /spec/replicas
        value: "1"
  # The autoscaler would scale back up: hold it at one or two.
  - conditions:
      groupResource: horizontalpodautoscalers.autoscaling
      namespaces: [shop]
    mergePatches:
      - patchData: |
          spec:
            minReplicas: 1
            maxReplicas: 2
  # Claims on the cheaper class the dev cluster has.
  - conditions:
      groupResource: persistentvolumeclaims
      namespaces: [shop]
    patches:
      - operation: test
        path: /spec/storageClassName
        value: managed-csi
      - operation: replace
        path: /spec/storageClassName
        value: managed-hdd
  # Images from the dev registry; containers are matched by name.
  - conditions:
      groupResource: deployments.apps
      resourceNameRegex: "^web$"
      namespaces: [shop]
    strategicPatches:
      - patchData: |
          spec:
            template:
              spec:
                containers:
                  - name: web
                    image: devregistry.azurecr.io/aks-store-demo/store-front:2.1.0
  - conditions:
      groupResource: statefulsets.apps
      resourceNameRegex: "^postgres$"
      namespaces: [shop]
    strategicPatches:
      - patchData: |
          spec:
            template:
              spec:
                containers:
                  - name: postgres
                    image: devregistry.azurecr.io/library/postgres:16.4
  # The dev cluster has no production priority class.
  - conditions:
      groupResource: deployments.apps
      namespaces: [shop]
    mergePatches:
      - patchData: |
          spec:
            template:
              spec:
                priorityClassName: null
`;

/** What the example did, for a reader or a test to check. */
export interface CloneToDevResult {
  /** The restore job, in Azure's shape. */
  restore: BackupJob;
  /** The dev cluster, to look at what was restored. */
  dev: MemoryCluster;
  /** Namespaces of the dev cluster after the restore. */
  devNamespaces: string[];
  /** The production objects, unchanged by the clone. */
  production: { webReplicas: number; webImage: string; claimStorageClass: string };
}

/** Options of {@link run}. */
export interface RunOptions {
  log?: (line: string) => void;
}

/**
 * Backs up the production `shop` namespace and restores it into a dev cluster as `shop-dev`,
 * through the dev rules; claims come back empty on the dev storage class, provisioned there.
 */
export async function run(options: RunOptions = {}): Promise<CloneToDevResult> {
  const log = options.log ?? (() => {});
  const production = await sampleCluster();
  const vault = new BackupVault({ name: "prod-vault" });
  const instance = await vault.protect({
    name: "shop",
    cluster: production,
    snapshotProvider: new MemorySnapshotProvider(production),
    operationalStore: new MemoryObjectStore(),
    datasourceParameters: { includedNamespaces: ["shop"] },
  });
  const backup = await instance.backupNow();
  const recoveryPointId = backup.extendedInfo.recoveryPointId;
  if (!recoveryPointId) throw new Error(`The backup ended ${backup.status}: ${JSON.stringify(backup.errorDetails)}`);
  log(`backup: ${backup.status}, recovery point ${recoveryPointId}`);

  // The dev cluster: same subscription and region (else the vault's cross-subscription and
  // cross-region settings decide), its own storage class, and the rules in a ConfigMap.
  const dev = new MemoryCluster({ identity: { name: "aks-dev", region: SAMPLE_CLUSTER_IDENTITY.region, subscriptionId: SAMPLE_CLUSTER_IDENTITY.subscriptionId } });
  await dev.create(STORAGE_CLASSES, {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "managed-hdd" },
    provisioner: "disk.csi.azure.com",
    parameters: { skuname: "Standard_LRS" },
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  });
  await dev.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kbackup" } });
  await dev.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dev-rules", namespace: "kbackup" }, data: { "rules.yaml": DEV_RULES } });

  const criteria = {
    objectType: "KubernetesClusterRestoreCriteria",
    includedNamespaces: ["shop"],
    namespaceMappings: { shop: "shop-dev" },
    // The dev cluster's controllers make the pods and replica sets from the restored workloads.
    excludedResourceTypes: ["pods", "replicasets.apps"],
    includeClusterScopeResources: false,
    // A claim's data comes on the storage class it was backed up with; the dev copy starts empty on its own class.
    persistentVolumeRestoreMode: "RestoreWithoutVolumeData",
    conflictPolicy: "Skip",
    resourceModifierReference: { namespace: "kbackup", name: "dev-rules" },
  };
  const restore = await instance.restore(recoveryPointId, criteria, { targetCluster: dev });
  log(`restore: ${restore.status}, ${JSON.stringify(restore.extendedInfo.counts)}`);

  const web = await production.get({ group: "apps", version: "v1", resource: "deployments" }, "web", { namespace: "shop" });
  const claim = await production.get({ group: "", version: "v1", resource: "persistentvolumeclaims" }, "data-postgres-0", { namespace: "shop" });
  return {
    restore,
    dev,
    devNamespaces: (await collect(dev.list(NAMESPACES))).map((namespace: KubeObject) => namespace.metadata.name ?? "").sort(),
    production: {
      webReplicas: (web?.spec as { replicas: number }).replicas,
      webImage: firstImage(web),
      claimStorageClass: (claim?.spec as { storageClassName: string }).storageClassName,
    },
  };
}

/** The image of a workload's first container. */
export function firstImage(workload: KubeObject | undefined): string {
  const spec = workload?.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.image ?? "";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await run({ log: (line) => console.log(line) });
  console.log(`namespaces in aks-dev: ${result.devNamespaces.join(", ")}`);
  process.exitCode = result.restore.status === "Completed" ? 0 : 1;
}
