import { describe, expect, it } from "vitest";
import { computeResourceId, computeResourceName, mergeRanges, parseComputeResourceId, restoredPersistentVolume, zoneOfPersistentVolume } from "@kbackup/adapter-azure";
import type { KubeObject } from "@kbackup/core";

describe("ARM ids of disks and snapshots", () => {
  it("parse case-insensitively, by kind, and format back", () => {
    const id = "/subscriptions/s-1/resourcegroups/MC_rg/providers/microsoft.compute/Disks/pvc-1";
    expect(parseComputeResourceId(id)).toEqual({ subscriptionId: "s-1", resourceGroup: "MC_rg", kind: "disks", name: "pvc-1" });
    expect(parseComputeResourceId(id, "snapshots")).toBeUndefined();
    for (const bad of ["pvc-1", "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a", "", 42, undefined]) {
      expect(parseComputeResourceId(bad)).toBeUndefined();
    }
    expect(computeResourceId({ subscriptionId: "s", resourceGroup: "g", kind: "snapshots", name: "n" })).toBe("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/snapshots/n");
  });

  it("make names Azure accepts from any PV name", () => {
    expect(computeResourceName("pvc-0a1b", "20250115090000-abc123")).toBe("pvc-0a1b-20250115090000-abc123");
    expect(computeResourceName("--weird/name!", "x")).toBe("weird-name--x");
    const long = computeResourceName("a".repeat(200), "suffix");
    expect(long.length).toBe(80);
    expect(long.endsWith("-suffix")).toBe(true);
    expect(computeResourceName("///", "x")).toBe("kbackup-x");
  });
});

describe("changed ranges", () => {
  it("merge overlapping and touching ranges, sorted, cut to the volume", () => {
    expect(
      mergeRanges(
        [
          { offset: 4096, length: 512 },
          { offset: 0, length: 512 },
          { offset: 512, length: 512 },
          { offset: 4000, length: 200 },
          { offset: 9000, length: 5000 },
          { offset: 20_000, length: 10 },
        ],
        10_000,
      ),
    ).toEqual([
      { offset: 0, length: 1024 },
      { offset: 4000, length: 608 },
      { offset: 9000, length: 1000 },
    ]);
  });
});

describe("restored persistent volumes", () => {
  const backedUp: KubeObject = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pvc-1", uid: "u", resourceVersion: "7", managedFields: [], annotations: { "pv.kubernetes.io/bound-by-controller": "yes" } },
    spec: {
      claimRef: { namespace: "ns", name: "data" },
      csi: { driver: "disk.csi.azure.com", volumeHandle: "/old" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "topology.disk.csi.azure.com/zone", operator: "In", values: ["westeurope-3"] },
                { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
              ],
            },
          ],
        },
      },
    },
    status: { phase: "Bound" },
  };

  it("read the zone a PV is pinned to", () => {
    expect(zoneOfPersistentVolume(backedUp)).toBe("3");
    expect(zoneOfPersistentVolume({ ...backedUp, spec: {} })).toBeUndefined();
  });

  it("point at the new disk, in the new zone or none, without server fields, leaving the original alone", () => {
    const zonal = restoredPersistentVolume(backedUp, "pvc-2", "/new", "WestEurope", "1");
    expect(zonal.metadata).toEqual({ name: "pvc-2" });
    expect(zonal.status).toBeUndefined();
    expect(zonal.spec).toEqual({
      csi: { driver: "disk.csi.azure.com", volumeHandle: "/new" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
                { key: "topology.disk.csi.azure.com/zone", operator: "In", values: ["westeurope-1"] },
              ],
            },
          ],
        },
      },
    });
    const regional = restoredPersistentVolume(backedUp, "pvc-3", "/new", "westeurope", undefined);
    expect((regional.spec as { nodeAffinity: unknown }).nodeAffinity).toEqual({
      required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] }] },
    });
    expect((backedUp.spec as { csi: { volumeHandle: string } }).csi.volumeHandle).toBe("/old");
  });
});
