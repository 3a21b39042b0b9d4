import { readFileSync } from "node:fs";
import {
  BackupVault,
  KBackupError,
  collect,
  scheduledTimes,
  type BackupInstance,
  type Clock,
  type ClusterClient,
  type ClusterIdentity,
  type KubeObject,
  type ObjectStore,
  type RunDueResult,
} from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock, sampleClusterObjects } from "@kbackup/testing";
import { expect } from "vitest";

/** Parses a policy JSON file of the policy tests' fixtures. */
export function policyFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../policy/fixtures/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
}

/** The grandfather-father-son fixture with its schedule changed: daily by default, in `timeZone`. */
export function gfsPolicy(repeatingTimeInterval = "R/2026-01-01T00:00:00+00:00/P1D", timeZone = "UTC"): Record<string, unknown> {
  const policy = policyFixture("gfs-policy.json") as { properties: { policyRules: Array<{ trigger?: { schedule: Record<string, unknown> } }> } };
  const rule = policy.properties.policyRules[0]!;
  rule.trigger!.schedule = { repeatingTimeIntervals: [repeatingTimeInterval], timeZone };
  return policy;
}

/** Backs up one small namespace of the sample cluster, without volume data: cheap enough to take thousands. */
export const BLOG_ONLY = { snapshotVolumes: false, includedNamespaces: ["blog"], includedResourceTypes: ["configmaps", "services"], includeClusterScopeResources: false };

/** One namespace (and its objects) of the sample cluster, in a memory cluster of its own. */
export function namespaceCluster(namespace: string, options: { clock?: Clock; identity?: ClusterIdentity } = {}): MemoryCluster {
  const objects = sampleClusterObjects().filter((object: KubeObject) => object.metadata.namespace === namespace || (object.kind === "Namespace" && object.metadata.name === namespace));
  const cluster = new MemoryCluster({ identity: options.identity ?? { name: `aks-${namespace}`, id: `/clusters/aks-${namespace}`, region: "westeurope" }, ...(options.clock ? { clock: options.clock } : {}) });
  cluster.load(objects);
  return cluster;
}

/** The `shop` namespace with its Azure Disk volume (and the volume itself), for backups with snapshots. */
export function shopCluster(clock: Clock): { cluster: MemoryCluster; provider: MemorySnapshotProvider } {
  const all = sampleClusterObjects();
  const volumes = all.filter((object) => object.kind === "PersistentVolume" && (object.spec as { claimRef?: { namespace?: string } }).claimRef?.namespace === "shop");
  const objects = all.filter((object) => object.metadata.namespace === "shop" || (object.kind === "Namespace" && object.metadata.name === "shop") || volumes.includes(object) || object.kind === "StorageClass");
  const cluster = new MemoryCluster({ identity: { name: "aks-shop", id: "/clusters/aks-shop", region: "westeurope" }, clock });
  for (const volume of volumes) {
    const csi = (volume.spec as { csi?: { volumeHandle?: string } }).csi;
    if (csi?.volumeHandle) cluster.createDisk(csi.volumeHandle, 64 * 1024);
  }
  cluster.load(objects);
  return { cluster, provider: new MemorySnapshotProvider(cluster) };
}

/**
 * A cluster that fails discovery (so the backup fails before it writes) while the clock shows one of
 * `failAt` (ISO times).
 */
export function failingAt(inner: ClusterClient, clock: Clock, failAt: ReadonlySet<string>): ClusterClient {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "discover") {
        return (...args: unknown[]) =>
          failAt.has(clock.now().toISOString())
            ? Promise.reject(new KBackupError("Unavailable", "The API server is unavailable."))
            : (target.discover as (...a: unknown[]) => unknown).apply(target, args);
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A vault named `vault` on a manual clock: its catalogue, an operational store and its vault store, each a memory store. */
export interface MemoryVault {
  clock: ManualClock;
  store: MemoryObjectStore;
  operational: MemoryObjectStore;
  vaultStore: MemoryObjectStore;
  vault: BackupVault;
}

export async function memoryVault(start: string, settings: Record<string, unknown> = {}): Promise<MemoryVault> {
  const clock = new ManualClock(start);
  const store = new MemoryObjectStore({ clock });
  const operational = new MemoryObjectStore({ clock });
  const vaultStore = new MemoryObjectStore({ clock });
  const vault = await BackupVault.create(store, { name: "vault", clock, vaultStore, ...settings });
  return { clock, store, operational, vaultStore, vault };
}

/**
 * Calls `runDue` at every time the schedule runs in `[from, to)`, with the clock set to it; fails on
 * any error `runDue` reports. `onTick` sees each result.
 */
export async function walk(vault: BackupVault, clock: ManualClock, schedule: { repeatingTimeIntervals: string[]; timeZone?: string }, from: string, to: string, onTick?: (now: Date, result: RunDueResult) => Promise<void> | void): Promise<void> {
  for (const now of scheduledTimes(schedule, new Date(from), new Date(to))) {
    await clock.set(now);
    const result = await vault.runDue();
    expect(result.errors).toEqual([]);
    await onTick?.(now, result);
  }
}

/** The times of the recovery points the catalogue lists in each store (soft-deleted ones left out). */
export async function catalogued(instance: BackupInstance): Promise<{ operational: string[]; vault: string[] }> {
  const points = (await collect(instance.listRecoveryPoints())).filter((point) => point.recoveryPointState === "Completed");
  return {
    operational: points.filter((point) => point.dataStores.OperationalStore).map((point) => point.recoveryPointTime),
    vault: points.filter((point) => point.dataStores.VaultStore).map((point) => point.recoveryPointTime),
  };
}

/** The ids of the committed recovery points (folders with a manifest) under `prefix` of `store`. */
export async function committedIds(store: ObjectStore, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of store.list(prefix)) {
    const match = /recovery-points\/([^/]+)\/manifest\.json$/.exec(info.key);
    if (match?.[1]) ids.push(match[1]);
  }
  return ids.sort();
}

/** Checks that the stores hold exactly the copies the catalogue lists (soft-deleted points included). */
export async function expectStoresMatchCatalogue(instance: BackupInstance, operationalStore: ObjectStore, vaultStore: ObjectStore): Promise<void> {
  const points = await collect(instance.listRecoveryPoints());
  const inOperational = points.filter((point) => point.dataStores.OperationalStore).map((point) => point.recoveryPointId).sort();
  const inVault = points.filter((point) => point.dataStores.VaultStore).map((point) => point.recoveryPointId).sort();
  expect(await committedIds(operationalStore, `vaults/vault/backup-instances/${instance.name}/`)).toEqual(inOperational);
  expect(await committedIds(vaultStore, `vaults/vault/vault-store/${instance.name}/`)).toEqual(inVault);
}

/** Every time a schedule runs in `[from, to)`, as ISO strings. */
export function isoTimes(schedule: { repeatingTimeIntervals: string[]; timeZone?: string }, from: string, to: string): string[] {
  return scheduledTimes(schedule, new Date(from), new Date(to)).map((time) => time.toISOString());
}
