import { describe, expect, it } from "vitest";
import { MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { SOURCE, STAGING_CRITERIA, emptyCluster, tick, vaultTierSetup } from "../vault-tier/vault-tier-fixtures.js";
import { summary } from "./helpers.js";

const GEO_WITH_CROSS_REGION = {
  storageSettings: [{ datastoreType: "VaultStore", type: "GeoRedundant" }],
  featureSettings: { crossRegionRestoreSettings: { state: "Enabled" } },
};

describe("validateRestore across regions", () => {
  it("allows the vault-store copy in the paired region, read from the store's secondary; not the operational copy, nor an unpaired region", async () => {
    const setup = await vaultTierSetup({ settings: GEO_WITH_CROSS_REGION });
    const [id] = await tick(setup, "2026-01-01T00:00:00Z");
    const paired = emptyCluster(setup.clock, { ...SOURCE, name: "aks-dr", id: "/clusters/aks-dr", region: "northeurope" });
    const options = { targetCluster: paired, targetSnapshotProvider: new MemorySnapshotProvider(paired) };

    // The target has the storage class already: the one finding is a Warning.
    expect(summary(await setup.instance.validateRestore(id!, STAGING_CRITERIA, { ...options, dataStore: "VaultStore" }))).toEqual(["Warning RestoreConflicts targetCluster aks-dr"]);
    // The secondary has not caught up with a copy made just now: the restore would find nothing there yet.
    setup.vaultStore.secondary({ replicationLagInMs: 60 * 60 * 1000 });
    const [later] = await tick(setup, "2026-01-02T00:00:00Z");
    expect(summary(await setup.instance.validateRestore(later!, STAGING_CRITERIA, { ...options, dataStore: "VaultStore" }))).toEqual(["Error RecoveryPointUnavailable recoveryPointId"]);

    const operational = await setup.instance.validateRestore(id!, STAGING_CRITERIA, options);
    expect(summary(operational)).toEqual(["Error RegionMismatch targetCluster aks-dr"]);
    expect(operational[0]!.remedy).toMatch(/dataStore VaultStore/);

    const far = emptyCluster(setup.clock, { ...SOURCE, name: "aks-far", id: "/clusters/aks-far", region: "eastus" });
    const farOptions = { targetCluster: far, targetSnapshotProvider: new MemorySnapshotProvider(far), dataStore: "VaultStore" as const };
    expect(summary(await setup.instance.validateRestore(id!, STAGING_CRITERIA, farOptions))).toEqual(["Error RegionMismatch targetCluster aks-far"]);
    expect(summary(await setup.instance.validateRestore(id!, STAGING_CRITERIA, { ...farOptions, regionPairs: [["westeurope", "eastus"]] }))).toEqual(["Warning RestoreConflicts targetCluster aks-far"]);
    await setup.copier.close();
  });
});
