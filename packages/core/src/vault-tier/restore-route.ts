import { KBackupError } from "../errors.js";
import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { VaultDataStore } from "../vault/catalogue-records.js";
import type { VaultSettings } from "../vault/vault-settings.js";
import { normalRegion } from "../preflight/region-pairs.js";
import { assertRegionPairs, isPairedRegion, pairedRegions, type RegionPair } from "./region-pairs.js";

/** Which copy a restore reads, and from which region of the vault store. */
export interface RestoreRoute {
  /** The copy to read; undefined: the operational one while it exists, else the vault store's. */
  dataStore: VaultDataStore | undefined;
  /** True for a cross-region restore: the vault-store copy is read from the store's secondary (the paired region). */
  secondary: boolean;
}

/** What {@link planRestoreRoute} judges. */
export interface RestoreRouteRequest {
  recoveryPointId: string;
  /** The protected cluster, as recorded, and the cluster restored to. */
  source: ClusterIdentity;
  target: ClusterIdentity;
  /** The point's copies by data store (its catalogue entry, or its `RecoveryPointInfo`); undefined when the catalogue does not list it. */
  point: { dataStores: Partial<Record<VaultDataStore, unknown>> } | undefined;
  /** The copy asked for, if any. */
  dataStore: VaultDataStore | undefined;
  settings: VaultSettings;
  /** Region pairs known besides `AZURE_REGION_PAIRS`, both ways. */
  regionPairs?: readonly RegionPair[];
}

/** The rules a cross-region restore can break, as `details.rule` of the PermissionDenied error names them. */
export type CrossRegionRule = "CrossRegionRestoreDisabled" | "OperationalStoreStaysInRegion" | "NoVaultStoreCopy" | "VaultStoreNotGeoRedundant" | "RegionsNotPaired";

function denied(rule: CrossRegionRule, message: string): KBackupError {
  return new KBackupError("PermissionDenied", `targetCluster: ${message}`, { field: "targetCluster", details: { rule } });
}

/**
 * Decides where a restore reads from, before any work, by the rules of cross-region restore. A
 * target in the source's region (or either region unknown) reads the copy asked for. A target in
 * another region is allowed only when the vault's cross-region restore is enabled, the copy read is
 * the vault store's (asked for, or the only one left: operational copies stay in their region), the
 * vault store is GeoRedundant and the target's region is the source's pair; that copy is then read
 * from the vault store's secondary.
 * @throws InvalidArgument for malformed `regionPairs`; PermissionDenied (field `targetCluster`,
 *   `details.rule` naming the rule) for a broken rule; NotFound for a cross-region restore of a point
 *   the catalogue does not list.
 */
export function planRestoreRoute(request: RestoreRouteRequest): RestoreRoute {
  assertRegionPairs(request.regionPairs, "regionPairs");
  const asked = request.dataStore;
  const from = request.source.region;
  const to = request.target.region;
  if (!from || !to || normalRegion(from) === normalRegion(to)) return { dataStore: asked, secondary: false };

  const name = request.target.name;
  if (request.settings.featureSettings.crossRegionRestoreSettings.state !== "Enabled") {
    throw denied("CrossRegionRestoreDisabled", `${name} is in region ${to}, the backup in ${from}, and the vault's cross-region restore is ${request.settings.featureSettings.crossRegionRestoreSettings.state}.`);
  }
  if (request.point === undefined) throw new KBackupError("NotFound", `There is no recovery point ${request.recoveryPointId}.`, { field: "recoveryPointId" });
  const copies = request.point.dataStores;
  if (asked === "OperationalStore" || (asked === undefined && copies.OperationalStore)) {
    throw denied("OperationalStoreStaysInRegion", `${name} is in region ${to}: operational-store copies restore only within their region (${from}); restore the vault-store copy (dataStore VaultStore) instead.`);
  }
  if (!copies.VaultStore) {
    throw denied("NoVaultStoreCopy", `${name} is in region ${to}: recovery point ${request.recoveryPointId} has no vault-store copy, and only vault-store copies restore to another region.`);
  }
  const redundancy = request.settings.storageSettings.find((setting) => setting.datastoreType === "VaultStore")?.type;
  if (redundancy !== "GeoRedundant") {
    throw denied("VaultStoreNotGeoRedundant", `${name} is in region ${to}: cross-region restore needs a GeoRedundant vault store; this one is ${redundancy ?? "unset"}.`);
  }
  if (!isPairedRegion(from, to, request.regionPairs)) {
    const pairs = pairedRegions(from, request.regionPairs);
    throw denied("RegionsNotPaired", `${name} is in region ${to}, which is not paired with ${from} (${pairs.length > 0 ? `its pair: ${pairs.join(", ")}` : "no pair of it is known"}); cross-region restore goes to the paired region only.`);
  }
  return { dataStore: "VaultStore", secondary: true };
}
