import type { StorageRedundancy } from "../vault/vault-settings.js";
import type { CenterInstanceRecord, CenterVaultRecord } from "./center-records.js";

/** Recovery points in one data store, and the bytes of their archives. */
export interface StoreUsage {
  recoveryPoints: number;
  bytes: number;
}

/** Volume snapshots kept with operational recovery points, and the size of the volumes they hold. */
export interface SnapshotUsage {
  snapshots: number;
  bytes: number;
}

/** What one backup instance keeps. */
export interface InstanceUsage {
  vaultName: string;
  instanceName: string;
  clusterName: string;
  /** The namespaces it protects; absent when unknown. */
  protectedNamespaces?: string[];
  operationalStore: StoreUsage;
  vaultStore: StoreUsage;
  snapshots: SnapshotUsage;
  /** The redundancy of its vault's vault store. */
  vaultStoreRedundancy: StorageRedundancy;
}

/** What one vault keeps, all its instances together. */
export interface VaultUsage {
  vaultName: string;
  instances: number;
  namespacesProtected: number;
  operationalStore: StoreUsage;
  vaultStore: StoreUsage;
  snapshots: SnapshotUsage;
  vaultStoreRedundancy: StorageRedundancy;
}

/** Usage across the center's vaults. */
export interface UsageReport {
  /** Every vault's totals added up. */
  totals: Omit<VaultUsage, "vaultName" | "vaultStoreRedundancy">;
  vaults: VaultUsage[];
  instances: InstanceUsage[];
}

const empty = () => ({ recoveryPoints: 0, bytes: 0 });

/** The redundancy of a vault's vault store (locally redundant when it names none). */
export function vaultStoreRedundancy(vault: CenterVaultRecord | undefined): StorageRedundancy {
  return vault?.settings.storageSettings.find((setting) => setting.datastoreType === "VaultStore")?.type ?? "LocallyRedundant";
}

/**
 * What each instance and vault keeps: recovery points and archive bytes per data store (soft-deleted
 * points too, since they still take space until purged), the volume snapshots of points that still
 * have an operational copy (by the size of the volumes), and the namespaces protected (unknown ones
 * counted as none).
 */
export function usageReport(vaults: readonly CenterVaultRecord[], instances: readonly CenterInstanceRecord[]): UsageReport {
  const byName = new Map(vaults.map((vault) => [vault.name, vault]));
  const perVault = new Map<string, VaultUsage>();
  for (const vault of vaults) {
    perVault.set(vault.name, { vaultName: vault.name, instances: 0, namespacesProtected: 0, operationalStore: empty(), vaultStore: empty(), snapshots: { snapshots: 0, bytes: 0 }, vaultStoreRedundancy: vaultStoreRedundancy(vault) });
  }
  const rows: InstanceUsage[] = [];
  for (const instance of instances) {
    const row: InstanceUsage = {
      vaultName: instance.vaultName,
      instanceName: instance.name,
      clusterName: instance.cluster.name,
      ...(instance.protectedNamespaces ? { protectedNamespaces: [...instance.protectedNamespaces] } : {}),
      operationalStore: empty(),
      vaultStore: empty(),
      snapshots: { snapshots: 0, bytes: 0 },
      vaultStoreRedundancy: vaultStoreRedundancy(byName.get(instance.vaultName)),
    };
    for (const point of instance.recoveryPoints) {
      if (point.dataStores.OperationalStore) {
        row.operationalStore.recoveryPoints++;
        row.operationalStore.bytes += point.archiveSizeInBytes;
        row.snapshots.snapshots += point.volumeSnapshotCount;
        row.snapshots.bytes += point.volumeBytes;
      }
      if (point.dataStores.VaultStore) {
        row.vaultStore.recoveryPoints++;
        row.vaultStore.bytes += point.archiveSizeInBytes;
      }
    }
    rows.push(row);
    let vault = perVault.get(instance.vaultName);
    if (!vault) {
      vault = { vaultName: instance.vaultName, instances: 0, namespacesProtected: 0, operationalStore: empty(), vaultStore: empty(), snapshots: { snapshots: 0, bytes: 0 }, vaultStoreRedundancy: row.vaultStoreRedundancy };
      perVault.set(instance.vaultName, vault);
    }
    add(vault, row);
  }
  const totals: UsageReport["totals"] = { instances: 0, namespacesProtected: 0, operationalStore: empty(), vaultStore: empty(), snapshots: { snapshots: 0, bytes: 0 } };
  for (const vault of perVault.values()) {
    totals.instances += vault.instances;
    totals.namespacesProtected += vault.namespacesProtected;
    addStores(totals, vault);
  }
  return { totals, vaults: [...perVault.values()].sort((a, b) => a.vaultName.localeCompare(b.vaultName)), instances: rows };
}

function add(vault: VaultUsage, row: InstanceUsage): void {
  vault.instances++;
  vault.namespacesProtected += row.protectedNamespaces?.length ?? 0;
  addStores(vault, row);
}

function addStores(into: Pick<VaultUsage, "operationalStore" | "vaultStore" | "snapshots">, from: Pick<VaultUsage, "operationalStore" | "vaultStore" | "snapshots">): void {
  into.operationalStore.recoveryPoints += from.operationalStore.recoveryPoints;
  into.operationalStore.bytes += from.operationalStore.bytes;
  into.vaultStore.recoveryPoints += from.vaultStore.recoveryPoints;
  into.vaultStore.bytes += from.vaultStore.bytes;
  into.snapshots.snapshots += from.snapshots.snapshots;
  into.snapshots.bytes += from.snapshots.bytes;
}
