import { describe, expect, it } from "vitest";
import { collect, isPairedRegion, pairedRegions, type ClusterIdentity } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { claimBytes, emptyCluster, SOURCE, STAGING_CRITERIA, tick, vaultTierSetup, VOLUMES, type VaultTierSetup } from "./vault-tier-fixtures.js";

const GEO = {
  storageSettings: [{ datastoreType: "VaultStore", type: "GeoRedundant" }],
  featureSettings: { crossRegionRestoreSettings: { state: "Enabled" } },
};
const LAG = 15 * 60 * 1000;
const SHRINK = 4;

function clusterIn(setup: VaultTierSetup, region: string, name = `aks-${region}`) {
  const identity: ClusterIdentity = { name, id: `/clusters/${name}`, region, subscriptionId: "sub-a" };
  const cluster = emptyCluster(setup.clock, identity);
  return { cluster, provider: new MemorySnapshotProvider(cluster) };
}

function restoreTo(setup: VaultTierSetup, id: string, to: ReturnType<typeof clusterIn>, options: Record<string, unknown> = {}) {
  return setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: to.cluster, targetSnapshotProvider: to.provider, stagingStore: new MemoryObjectStore(), ...options });
}

const restoreJobs = (setup: VaultTierSetup) => setup.vault.listJobs().filter((job) => job.operationCategory === "Restore");

describe("the region pairs kbackup knows", () => {
  it("pair Azure's regions both ways, and take more pairs as an option", () => {
    expect(isPairedRegion("westeurope", "northeurope")).toBe(true);
    expect(isPairedRegion("North Europe", "West Europe")).toBe(true);
    expect(isPairedRegion("eastus2", "centralus")).toBe(true);
    expect(isPairedRegion("westeurope", "eastus")).toBe(false);
    expect(isPairedRegion("westeurope", "westeurope")).toBe(false);
    expect(pairedRegions("eastus")).toEqual(["westus"]);
    expect(isPairedRegion("westeurope", "swedencentral", [["swedencentral", "westeurope"]])).toBe(true);
  });
});

describe("a cross-region restore", () => {
  it("restores a vault-store copy to the paired region from the store's secondary, once replication has brought it there", async () => {
    const setup = await vaultTierSetup({ settings: GEO, shrink: SHRINK });
    setup.vaultStore.secondary({ replicationLagInMs: LAG });
    const [id] = await tick(setup, "2026-01-01T00:00:00Z");
    const paired = clusterIn(setup, "northeurope");

    // Not replicated yet: the secondary has no copy.
    await expect(restoreTo(setup, id!, paired, { dataStore: "VaultStore" })).rejects.toMatchObject({ code: "NotFound", message: expect.stringContaining("secondary") });
    expect(setup.vaultStore.secondary().pendingChanges).toBeGreaterThan(0);

    await setup.clock.advance(LAG);
    expect(setup.vaultStore.secondary().pendingChanges).toBe(0);
    // The primary loses its copy; the secondary, a lag behind, still has it, and it is what the restore reads.
    expect(await setup.copier.delete("data", id!)).toBe(true);
    const job = await restoreTo(setup, id!, paired, { dataStore: "VaultStore" });
    expect(job.errorDetails ?? [], JSON.stringify(job.errorDetails)).toEqual([]);
    expect(job.status).toBe("Completed");
    for (const volume of VOLUMES) {
      const size = Math.ceil(volume.sizeInBytes / SHRINK);
      expect(Buffer.from(await claimBytes(paired.cluster, volume.claim)).equals(Buffer.from(volume.bytes(size))), volume.claim).toBe(true);
    }
    expect(paired.provider.listSnapshots()).toEqual([]);
    await setup.copier.close();
  });

  it("restores within the source's region from the primary, from either store", async () => {
    const setup = await vaultTierSetup({ settings: GEO, shrink: SHRINK });
    setup.vaultStore.secondary({ replicationLagInMs: LAG });
    const [id] = await tick(setup, "2026-01-01T00:00:00Z");
    const same = clusterIn(setup, "westeurope", "aks-same");
    expect((await restoreTo(setup, id!, same, { dataStore: "VaultStore" })).status).toBe("Completed");
    const again = clusterIn(setup, "West Europe", "aks-again");
    again.provider = setup.provider.forCluster(again.cluster);
    expect((await restoreTo(setup, id!, again, { dataStore: "OperationalStore" })).status).toBe("Completed");
  });

  it("refuses, before any work, a region that is not paired, a vault without cross-region restore, and an operational copy", async () => {
    const setup = await vaultTierSetup({ settings: GEO, shrink: SHRINK });
    const [id] = await tick(setup, "2026-01-01T00:00:00Z");
    await expect(restoreTo(setup, id!, clusterIn(setup, "eastus"), { dataStore: "VaultStore" })).rejects.toMatchObject({ code: "PermissionDenied", field: "targetCluster", details: { rule: "RegionsNotPaired" } });
    await expect(restoreTo(setup, id!, clusterIn(setup, "northeurope"), { dataStore: "OperationalStore" })).rejects.toMatchObject({ code: "PermissionDenied", details: { rule: "OperationalStoreStaysInRegion" } });
    // Without a data store named, the operational copy is the one read while it exists: refused too.
    await expect(restoreTo(setup, id!, clusterIn(setup, "northeurope"))).rejects.toMatchObject({ code: "PermissionDenied", details: { rule: "OperationalStoreStaysInRegion" } });
    await expect(setup.instance.planRestore(id!, STAGING_CRITERIA, { targetCluster: clusterIn(setup, "eastus").cluster, dataStore: "VaultStore" })).rejects.toMatchObject({ details: { rule: "RegionsNotPaired" } });
    expect(restoreJobs(setup)).toEqual([]);

    const disabled = await vaultTierSetup({ shrink: SHRINK });
    const [other] = await tick(disabled, "2026-01-01T00:00:00Z");
    await expect(restoreTo(disabled, other!, clusterIn(disabled, "northeurope"), { dataStore: "VaultStore" })).rejects.toMatchObject({
      code: "PermissionDenied",
      message: expect.stringContaining("cross-region restore is Disabled"),
      details: { rule: "CrossRegionRestoreDisabled" },
    });
    expect(restoreJobs(disabled)).toEqual([]);
  });

  it("goes to a region paired by the regionPairs option", async () => {
    const setup = await vaultTierSetup({ settings: GEO, shrink: SHRINK });
    const [id] = await tick(setup, "2026-01-01T00:00:00Z");
    const sweden = clusterIn(setup, "swedencentral");
    await expect(restoreTo(setup, id!, sweden, { dataStore: "VaultStore" })).rejects.toMatchObject({ details: { rule: "RegionsNotPaired" } });
    const job = await restoreTo(setup, id!, sweden, { dataStore: "VaultStore", regionPairs: [["westeurope", "swedencentral"]] });
    expect(job.status).toBe("Completed");
    await expect(restoreTo(setup, id!, sweden, { dataStore: "VaultStore", regionPairs: [["westeurope"]] })).rejects.toMatchObject({ code: "InvalidArgument", field: "regionPairs[0]" });
  });
});

describe("a memory store's secondary", () => {
  it("shows each write and delete once the lag has passed on the store's clock, in order, read-only", async () => {
    const setup = await vaultTierSetup({ shrink: SHRINK });
    const primary = new MemoryObjectStore({ clock: setup.clock, secondaryRead: true });
    await primary.put("before", new Uint8Array([1]));
    const secondary = primary.secondary({ replicationLagInMs: 1000 });
    expect(primary.secondary()).toBe(secondary);
    expect((await secondary.get("before"))?.body).toEqual(new Uint8Array([1]));
    const written = await primary.put("a/one", new Uint8Array([1, 2, 3]), { metadata: { kind: "test" } });
    await primary.delete("before");
    expect(await secondary.head("a/one")).toBeUndefined();
    await setup.clock.advance(999);
    expect(await secondary.get("a/one")).toBeUndefined();
    await setup.clock.advance(1);
    expect(await secondary.head("a/one")).toEqual(written);
    expect((await secondary.get("a/one", { range: { offset: 1 } }))?.body).toEqual(new Uint8Array([2, 3]));
    expect(await secondary.head("before")).toBeUndefined();
    expect((await collect(secondary.list("a/"))).map((info) => info.key)).toEqual(["a/one"]);
    await expect(secondary.put("a/two", new Uint8Array([1]))).rejects.toMatchObject({ code: "Unsupported" });
    await expect(secondary.delete("a/one")).rejects.toMatchObject({ code: "Unsupported" });
    expect(secondary.capabilities.secondaryRead).toBe(false);
    await expect(Promise.resolve().then(() => new MemoryObjectStore().secondary())).rejects.toMatchObject({ code: "Unsupported" });
    expect(() => primary.secondary({ replicationLagInMs: -1 })).toThrow(expect.objectContaining({ code: "InvalidArgument" }));
  });
});
