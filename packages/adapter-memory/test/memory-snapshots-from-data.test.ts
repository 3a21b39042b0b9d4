import { describe, expect, it } from "vitest";
import type { KubeObject, VolumeSnapshotRecord } from "@kbackup/core";
import { DISK_BLOCK_SIZE, MemoryCluster, MemorySnapshotProvider } from "@kbackup/adapter-memory";

const HANDLE = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-data";

const source: VolumeSnapshotRecord = {
  snapshotHandle: "elsewhere-1",
  provider: "azure-disk",
  persistentVolumeName: "pvc-data",
  claim: { namespace: "app", name: "data" },
  driver: "disk.csi.azure.com",
  volumeHandle: HANDLE,
  sizeInBytes: 0,
  incremental: true,
  createdAt: "2026-01-01T00:00:00.000Z",
};

const volume: KubeObject = {
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: "pvc-data" },
  spec: { capacity: { storage: "1Mi" }, csi: { driver: "disk.csi.azure.com", volumeHandle: HANDLE } },
};

/** A reader that hands out at most 1000 bytes per read, as real readers may. */
function reader(bytes: Uint8Array) {
  return { sizeInBytes: bytes.length, read: async (offset: number, length: number) => bytes.slice(offset, offset + Math.min(length, 1000)) };
}

describe("MemorySnapshotProvider.createSnapshotFromData", () => {
  it("makes a snapshot of the bytes read, as of the source volume, from which volumes are made; zero blocks take no memory", async () => {
    const cluster = new MemoryCluster();
    const provider = new MemorySnapshotProvider(cluster);
    const bytes = new Uint8Array(3 * DISK_BLOCK_SIZE + 123);
    bytes.set([1, 2, 3], DISK_BLOCK_SIZE + 7);
    bytes[bytes.length - 1] = 9;
    const record = await provider.createSnapshotFromData(reader(bytes), { source: { ...source, sizeInBytes: bytes.length }, tags: { restore: "r-1" } });
    expect(record).toMatchObject({ persistentVolumeName: "pvc-data", claim: { namespace: "app", name: "data" }, driver: "disk.csi.azure.com", volumeHandle: HANDLE, sizeInBytes: bytes.length, incremental: false, provider: "memory" });
    const [held] = provider.listSnapshots();
    expect(held).toMatchObject({ tags: { restore: "r-1" }, allocatedBlocks: 2 });
    const made = await provider.createVolume(record, volume, { persistentVolumeName: "pvc-restored" });
    expect(Buffer.from(cluster.readVolume(made.volumeHandle)).equals(Buffer.from(bytes))).toBe(true);
    expect(await provider.deleteSnapshot(record.snapshotHandle)).toBe(true);
  });

  it("refuses a bad reader or source and keeps nothing when the data ends early", async () => {
    const provider = new MemorySnapshotProvider(new MemoryCluster());
    await expect(provider.createSnapshotFromData({} as never, { source })).rejects.toMatchObject({ code: "InvalidArgument", field: "data" });
    await expect(provider.createSnapshotFromData(reader(new Uint8Array(10)), { source: {} as never })).rejects.toMatchObject({ code: "InvalidArgument", field: "options.source" });
    const short = { sizeInBytes: 5000, read: async (offset: number) => (offset < 2000 ? new Uint8Array(1000) : new Uint8Array(0)) };
    await expect(provider.createSnapshotFromData(short, { source })).rejects.toMatchObject({ code: "Integrity" });
    expect(provider.listSnapshots()).toEqual([]);
  });
});
