// Operational recovery: a namespace deleted by mistake, restored in place from the latest recovery
// point. Everything runs in memory: the sample AKS cluster, its disk snapshots, the backup store.
//
//   npm run build && node examples/operational-recovery/operational-recovery.ts
import { fileURLToPath } from "node:url";
import { BackupVault, collect, type BackupJob, type KubeObject, type RestorePlan, type ResourceRef } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const CONFIGMAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
const CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const VOLUMES: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };

/** The resource types compared before the mistake and after the restore. */
const COMPARED: Record<string, ResourceRef> = {
  configmaps: CONFIGMAPS,
  secrets: { group: "", version: "v1", resource: "secrets" },
  services: { group: "", version: "v1", resource: "services" },
  serviceaccounts: { group: "", version: "v1", resource: "serviceaccounts" },
  persistentvolumeclaims: CLAIMS,
  deployments: { group: "apps", version: "v1", resource: "deployments" },
  statefulsets: { group: "apps", version: "v1", resource: "statefulsets" },
  roles: { group: "rbac.authorization.k8s.io", version: "v1", resource: "roles" },
  rolebindings: { group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings" },
};

/** What the example did, for a reader or a test to check. */
export interface OperationalRecoveryResult {
  /** The recovery point restored: the later of the two backups. */
  recoveryPointId: string;
  /** Every recovery point of the instance, oldest first. */
  recoveryPointIds: string[];
  /** What the restore would do, computed before it, writing nothing. */
  plan: RestorePlan;
  /** The restore job, in Azure's shape. */
  restore: BackupJob;
  /** `<type>/<name>` of the namespace's objects before the mistake, and after the restore. */
  objectsBefore: string[];
  objectsAfter: string[];
  /** `web-config`'s `CURRENCY` after the restore: the value the latest backup saw. */
  currencyAfter: string | undefined;
  /** The bytes of the database volume before the mistake, and of the volume restored from its snapshot. */
  volumeBefore: Uint8Array;
  volumeAfter: Uint8Array;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Where the example says what it does; silent by default. */
  log?: (line: string) => void;
}

/**
 * Protects the `shop` namespace of the sample cluster, takes two backups (the second after a
 * configuration change), deletes the namespace, and restores the latest recovery point in place.
 */
export async function run(options: RunOptions = {}): Promise<OperationalRecoveryResult> {
  const log = options.log ?? (() => {});
  const cluster = await sampleCluster();
  const snapshots = new MemorySnapshotProvider(cluster);
  const vault = new BackupVault({ name: "prod-vault" });
  const instance = await vault.protect({
    name: "shop",
    cluster,
    snapshotProvider: snapshots,
    operationalStore: new MemoryObjectStore(),
    datasourceParameters: { includedNamespaces: ["shop"], snapshotVolumes: true, includeClusterScopeResources: false },
  });

  const first = await instance.backupNow();
  log(`backup 1: ${first.status}, recovery point ${first.extendedInfo.recoveryPointId}`);
  // The shop switches currency; the next backup sees it.
  await cluster.patch(CONFIGMAPS, "web-config", { data: { CURRENCY: "USD" } }, { namespace: "shop", patchType: "merge" });
  const second = await instance.backupNow();
  log(`backup 2: ${second.status}, recovery point ${second.extendedInfo.recoveryPointId}`);

  const objectsBefore = await namespaceObjects(cluster, "shop");
  const volumeBefore = cluster.readVolume(await claimVolumeHandle(cluster, "shop", "data-postgres-0"));

  // The mistake: the whole namespace goes, with its claim, its volume and the volume's disk.
  await cluster.delete(NAMESPACES, "shop");
  log(`namespace shop deleted: ${(await cluster.get(NAMESPACES, "shop")) === undefined}`);

  // The latest recovery point is the last one listed (they are listed oldest first).
  const points = await collect(instance.listRecoveryPoints());
  const latest = points[points.length - 1];
  if (!latest) throw new Error("The instance has no recovery point.");
  const plan = await instance.planRestore(latest.recoveryPointId, { includedNamespaces: ["shop"] });
  log(`plan: ${JSON.stringify(plan.counts)}`);
  // In place: no target cluster, so the protected cluster and its snapshot provider are used.
  const restore = await instance.restore(latest.recoveryPointId, { includedNamespaces: ["shop"], conflictPolicy: "Skip" });
  log(`restore: ${restore.status}, ${JSON.stringify(restore.extendedInfo.counts)}`);

  const webConfig = await cluster.get(CONFIGMAPS, "web-config", { namespace: "shop" });
  return {
    recoveryPointId: latest.recoveryPointId,
    recoveryPointIds: points.map((point) => point.recoveryPointId),
    plan,
    restore,
    objectsBefore,
    objectsAfter: await namespaceObjects(cluster, "shop"),
    currencyAfter: (webConfig?.data as Record<string, string> | undefined)?.CURRENCY,
    volumeBefore,
    volumeAfter: cluster.readVolume(await claimVolumeHandle(cluster, "shop", "data-postgres-0")),
  };
}

/** `<type>/<name>` of the objects of the compared types in a namespace, sorted. */
async function namespaceObjects(cluster: Awaited<ReturnType<typeof sampleCluster>>, namespace: string): Promise<string[]> {
  const names: string[] = [];
  for (const [type, resource] of Object.entries(COMPARED)) {
    for (const object of await collect(cluster.list(resource, { namespace }))) names.push(`${type}/${object.metadata.name}`);
  }
  return names.sort();
}

/** The CSI volume handle (the disk) behind a claim. */
async function claimVolumeHandle(cluster: Awaited<ReturnType<typeof sampleCluster>>, namespace: string, claimName: string): Promise<string> {
  const claim = await cluster.get(CLAIMS, claimName, { namespace });
  const volumeName = (claim?.spec as { volumeName?: string } | undefined)?.volumeName;
  const volume: KubeObject | undefined = volumeName ? await cluster.get(VOLUMES, volumeName) : undefined;
  const handle = (volume?.spec as { csi?: { volumeHandle?: string } } | undefined)?.csi?.volumeHandle;
  if (!handle) throw new Error(`Claim ${namespace}/${claimName} is not bound to a CSI volume.`);
  return handle;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await run({ log: (line) => console.log(line) });
  console.log(`restored ${result.objectsAfter.length} of ${result.objectsBefore.length} objects; CURRENCY is ${result.currencyAfter}`);
  process.exitCode = result.restore.status === "Completed" ? 0 : 1;
}
