import { it } from "vitest";
import type { KubeObject } from "@kbackup/core";
import { MemoryCluster, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { snapshotProviderConformance } from "@kbackup/testing";

const PVS = { group: "", version: "v1", resource: "persistentvolumes" };

function persistentVolume(name: string, source: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: { capacity: { storage: "1Mi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Delete", ...source },
  };
}

snapshotProviderConformance(it, async () => {
  const cluster = new MemoryCluster();
  const provider = new MemorySnapshotProvider(cluster);
  let volumes = 0;
  return {
    provider,
    async supportedVolume() {
      const name = `pv-disk-${++volumes}`;
      const volumeHandle = `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/disks/${name}`;
      const stored = await cluster.create(PVS, persistentVolume(name, { csi: { driver: "disk.csi.azure.com", volumeHandle } }));
      // Data across a block boundary, away from the start, so offsets are tested too.
      const data = Uint8Array.from({ length: 100_000 }, (_, index) => (index * 7 + volumes) % 256);
      const dataOffset = 65_536 - 1000;
      cluster.writeVolume(volumeHandle, data, dataOffset);
      return { persistentVolume: stored, data, dataOffset };
    },
    async unsupportedVolumes() {
      return [
        persistentVolume("pv-files", { csi: { driver: "file.csi.azure.com", volumeHandle: "rg#account#share###ns" } }),
        persistentVolume("pv-other-csi", { csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } }),
        persistentVolume("pv-in-tree", { azureDisk: { diskName: "d", diskURI: "/subscriptions/0/disks/d" } }),
        persistentVolume("pv-host", { hostPath: { path: "/data" } }),
      ];
    },
    async writeVolume(volume, bytes, offset) {
      const csi = (volume["spec"] as { csi: { volumeHandle: string } }).csi;
      cluster.writeVolume(csi.volumeHandle, bytes, offset);
    },
    async readVolume(volume, offset, length) {
      return cluster.readVolume(volume.volumeHandle, offset, length);
    },
  };
});

