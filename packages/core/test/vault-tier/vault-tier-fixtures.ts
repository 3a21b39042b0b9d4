import {
  BackupVault,
  PassphraseKeyProvider,
  RepositoryVaultCopier,
  aksDefaultPolicy,
  collect,
  type BackupInstance,
  type BackupPolicy,
  type ClusterIdentity,
  type KubeObject,
  type ObjectStore,
  type RepositoryVaultCopierOptions,
  type ResourceRef,
} from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock, boundVolume, sampleClusterObjects } from "@kbackup/testing";
import { expect } from "vitest";
import { randomBytesOf, textOf } from "../repository/repository-fixtures.js";

/** A cheap scrypt cost, so that tests open repositories quickly. */
export const vaultKey = new PassphraseKeyProvider("vault tier passphrase", { scrypt: { N: 1024, r: 8, p: 1 } });

/** Small chunks and packs (4 KiB / 16 KiB / 64 KiB, packs of 64 KiB), no worker threads. */
export const smallRepository: Omit<RepositoryVaultCopierOptions, "keyProvider"> = {
  workers: 0,
  chunker: { minSizeInBytes: 4 * 1024, averageSizeInBytes: 16 * 1024, maxSizeInBytes: 64 * 1024, gearSeed: "00112233445566778899aabbccddeeff" },
  packTargetSizeInBytes: 64 * 1024,
};

export const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
export const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
export const CONFIGMAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };

export const SOURCE: ClusterIdentity = { name: "aks-data", id: "/clusters/aks-data", region: "westeurope", subscriptionId: "sub-a" };

/** The claims of the `data` namespace and what their volumes hold: zeros, text, random bytes. */
export const VOLUMES = [
  { claim: "zeros", sizeInBytes: 1024 * 1024, bytes: (size: number) => new Uint8Array(size) },
  { claim: "text", sizeInBytes: 1_000_000, bytes: (size: number) => textOf(size, 7) },
  { claim: "random", sizeInBytes: 1_000_001, bytes: (size: number) => randomBytesOf(size, 8) },
] as const;

export const STAGING_CRITERIA = {
  objectType: "KubernetesClusterVaultTierRestoreCriteria",
  includedNamespaces: ["data"],
  stagingResourceGroupId: "/subscriptions/sub-a/resourceGroups/rg-staging",
  stagingStorageAccountId: "/subscriptions/sub-a/resourceGroups/rg-staging/providers/Microsoft.Storage/storageAccounts/kbstaging",
} as const;

/**
 * A cluster with the `data` namespace: a config map and three Azure Disk claims bound to volumes with
 * data, of the sizes of {@link VOLUMES} divided by `shrink`.
 */
export function dataCluster(clock: ManualClock, identity: ClusterIdentity = SOURCE, shrink = 1): { cluster: MemoryCluster; volumeHandles: Record<string, string> } {
  const cluster = new MemoryCluster({ identity, clock });
  const storageClass = sampleClusterObjects().find((object) => object.kind === "StorageClass" && object.metadata.name === "managed-csi") as KubeObject;
  const objects: KubeObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "data" } },
    storageClass,
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "data" }, data: { mode: "production" } },
  ];
  const volumeHandles: Record<string, string> = {};
  for (const volume of VOLUMES) {
    const size = Math.ceil(volume.sizeInBytes / shrink);
    const { claim, volume: pv } = boundVolume({
      namespace: "data",
      claimName: volume.claim,
      storageClassName: "managed-csi",
      driver: "disk.csi.azure.com",
      sizeInBytes: size,
      location: { subscriptionId: "sub-a", nodeResourceGroup: "mc-rg", region: identity.region ?? "westeurope" },
    });
    const handle = (pv.spec as { csi: { volumeHandle: string } }).csi.volumeHandle;
    cluster.createDisk(handle, size);
    cluster.writeVolume(handle, volume.bytes(size));
    volumeHandles[volume.claim] = handle;
    objects.push(pv, claim);
  }
  cluster.load(objects);
  return { cluster, volumeHandles };
}

/** An empty cluster to restore into. */
export function emptyCluster(clock: ManualClock, identity: ClusterIdentity): MemoryCluster {
  const cluster = new MemoryCluster({ identity, clock });
  const storageClass = sampleClusterObjects().find((object) => object.kind === "StorageClass" && object.metadata.name === "managed-csi") as KubeObject;
  cluster.load([storageClass]);
  return cluster;
}

/** Daily backups kept 2 days in the operational store, each copied at once to the vault store for 30 days. */
export function dailyToVaultPolicy(): BackupPolicy {
  const policy = aksDefaultPolicy();
  const rules = policy.policyRules as unknown as Array<Record<string, any>>;
  rules[0]!.trigger.schedule.repeatingTimeIntervals = ["R/2026-01-01T00:00:00+00:00/P1D"];
  rules[0]!.trigger.taggingCriteria = [rules[0]!.trigger.taggingCriteria[0]];
  rules[1]!.lifecycles = [
    { deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P2D" }, sourceDataStore: { dataStoreType: "OperationalStore", objectType: "DataStoreInfoBase" }, targetDataStoreCopySettings: [{ copyAfter: { objectType: "ImmediateCopyOption" }, dataStore: { dataStoreType: "VaultStore", objectType: "DataStoreInfoBase" } }] },
    { deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P30D" }, sourceDataStore: { dataStoreType: "VaultStore", objectType: "DataStoreInfoBase" } },
  ];
  policy.policyRules = policy.policyRules.slice(0, 2);
  return policy;
}

export interface VaultTierSetup {
  clock: ManualClock;
  /** The vault's catalogue. */
  store: MemoryObjectStore;
  operational: MemoryObjectStore;
  /** The vault store: geo-redundant with read access. */
  vaultStore: MemoryObjectStore;
  copier: RepositoryVaultCopier;
  cluster: MemoryCluster;
  volumeHandles: Record<string, string>;
  provider: MemorySnapshotProvider;
  vault: BackupVault;
  instance: BackupInstance;
}

/**
 * A vault on a manual clock at 2026-01-01T00:00Z whose vault store keeps copies in a repository,
 * protecting the `data` cluster with {@link dailyToVaultPolicy}. `copierStore` wraps the vault store
 * as the copier sees it (to inject faults); `shrink` divides the volumes' sizes.
 */
export async function vaultTierSetup(options: { settings?: Record<string, unknown>; copierStore?: (store: MemoryObjectStore) => ObjectStore; shrink?: number } = {}): Promise<VaultTierSetup> {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const store = new MemoryObjectStore({ clock });
  const operational = new MemoryObjectStore({ clock });
  const vaultStore = new MemoryObjectStore({ clock, secondaryRead: true });
  const copier = new RepositoryVaultCopier(options.copierStore ? options.copierStore(vaultStore) : vaultStore, { keyProvider: vaultKey, clock, ...smallRepository });
  const vault = await BackupVault.create(store, { name: "vault", clock, vaultStore, vaultCopier: copier, ...options.settings });
  await vault.createPolicy("daily", dailyToVaultPolicy());
  const { cluster, volumeHandles } = dataCluster(clock, SOURCE, options.shrink);
  const provider = new MemorySnapshotProvider(cluster);
  const instance = await vault.protect({
    name: "data",
    cluster,
    snapshotProvider: provider,
    operationalStore: operational,
    datasourceParameters: { includedNamespaces: ["data"], includeClusterScopeResources: true },
    policyName: "daily",
  });
  return { clock, store, operational, vaultStore, copier, cluster, volumeHandles, provider, vault, instance };
}

/** Runs the scheduler at `time` and expects no error; returns the ids of the points it copied to the vault store. */
export async function tick(setup: Pick<VaultTierSetup, "clock" | "vault">, time: string): Promise<string[]> {
  await setup.clock.set(time);
  const result = await setup.vault.runDue();
  expect(result.errors).toEqual([]);
  return result.copies.map((copy) => copy.recoveryPointId);
}

/** The recovery points of the instance with a vault-store copy, oldest first. */
export async function vaultPoints(instance: BackupInstance): Promise<string[]> {
  return (await collect(instance.listRecoveryPoints())).filter((point) => point.dataStores.VaultStore).map((point) => point.recoveryPointId);
}

/** The bytes of the volume a restored claim is bound to in `cluster`. */
export async function claimBytes(cluster: MemoryCluster, claimName: string, namespace = "data"): Promise<Uint8Array> {
  const claim = await cluster.get(PVCS, claimName, { namespace });
  const volumeName = (claim?.spec as { volumeName?: string } | undefined)?.volumeName;
  expect(volumeName, `claim ${namespace}/${claimName} is bound`).toBeTruthy();
  const volume = await cluster.get(PVS, volumeName!);
  const handle = (volume?.spec as { csi?: { volumeHandle?: string } } | undefined)?.csi?.volumeHandle;
  expect(handle, `volume ${volumeName} has a handle`).toBeTruthy();
  return cluster.readVolume(handle!);
}

/** Keys of `store` under `prefix`. */
export async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await collect(store.list(prefix))).map((info) => info.key);
}
