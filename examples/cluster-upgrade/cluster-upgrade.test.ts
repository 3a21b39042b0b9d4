import { describe, expect, it } from "vitest";
import { collect, type KubeObject, type ResourceRef, type RestoreItemResult } from "@kbackup/core";
import { sampleVolumeBytes } from "@kbackup/testing";
import { run } from "./cluster-upgrade.js";

const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const VOLUMES: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };
const WIDGETS: ResourceRef = { group: "example.com", version: "v1", resource: "widgets" };

const names = async (cluster: { list: (resource: ResourceRef) => AsyncIterable<KubeObject> }, resource: ResourceRef) =>
  (await collect(cluster.list(resource))).map((object) => object.metadata.name ?? "").sort();

function volumeHandle(volume: KubeObject | undefined): string {
  return (volume?.spec as { csi: { volumeHandle: string } }).csi.volumeHandle;
}

describe("cluster upgrade example", () => {
  it("moves every workload to the upgraded cluster, volumes from snapshots, skipping what is already there", async () => {
    const { old, upgraded, backup, plan, restore, upgradedInstance, firstBackupOfUpgraded, oldInstance } = await run();
    expect(backup.status).toBe("CompletedWithWarnings"); // the Azure Files volume cannot be snapshotted
    expect(restore.errorDetails ?? []).toEqual([]);
    expect(restore.status).toBe("CompletedWithWarnings"); // its claim comes back without data
    expect(restore.warningDetails?.map((warning) => warning.message)).toEqual([expect.stringMatching(/^Claim analytics\/reports: .* no snapshot/)]);

    // Every namespace but the system ones, with the custom resource and its CRD.
    expect(await names(upgraded, NAMESPACES)).toEqual(["analytics", "blog", "default", "shop", "tools"]);
    expect(await names(upgraded, WIDGETS)).toEqual(["sprocket"]);

    // What the new cluster had is skipped and left as it was.
    const items = restore.extendedInfo.itemResults as RestoreItemResult[];
    expect(items.filter((item) => item.outcome === "Skipped").map((item) => `${item.kind} ${item.name}`).sort()).toEqual(["Namespace default", "Service kubernetes", "StorageClass managed-csi"]);
    expect((await upgraded.get(STORAGE_CLASSES, "managed-csi"))?.parameters).toEqual({ skuname: "StandardSSD_ZRS" });
    expect(await upgraded.get(STORAGE_CLASSES, "azurefile-csi")).toBeDefined();

    // The plan foretold every item's outcome, the custom resource of a CRD not yet there included.
    const key = (item: RestoreItemResult) => `${item.kind} ${item.namespace ?? ""}/${item.name} ${item.outcome}`;
    expect(plan.items.map(key).sort()).toEqual(items.map(key).sort());
    expect(plan.counts).toMatchObject({ failed: 0, skipped: 3 });

    // The database's volume is a new disk holding the bytes of the old one.
    const oldClaim = await old.get(CLAIMS, "data-postgres-0", { namespace: "shop" });
    const oldHandle = volumeHandle(await old.get(VOLUMES, (oldClaim?.spec as { volumeName: string }).volumeName));
    const claim = await upgraded.get(CLAIMS, "data-postgres-0", { namespace: "shop" });
    const handle = volumeHandle(await upgraded.get(VOLUMES, (claim?.spec as { volumeName: string }).volumeName));
    expect(handle).not.toBe(oldHandle);
    const restoredBytes = upgraded.readVolume(handle);
    expect(Buffer.from(restoredBytes).equals(Buffer.from(sampleVolumeBytes(oldHandle, restoredBytes.length)))).toBe(true);
    expect(restore.extendedInfo.counts?.volumesRestored).toBe(1);

    // Protection moved: the new cluster is backed up, the old one no longer, its recovery point kept.
    expect(["Completed", "CompletedWithWarnings"]).toContain(firstBackupOfUpgraded.status);
    expect(upgradedInstance.currentProtectionState).toBe("ProtectionConfigured");
    expect(oldInstance.currentProtectionState).toBe("ProtectionStopped");
    expect((await collect(oldInstance.listRecoveryPoints())).map((point) => point.recoveryPointId)).toEqual([backup.extendedInfo.recoveryPointId]);
  });
});
