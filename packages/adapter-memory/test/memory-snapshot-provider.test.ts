import { describe, expect, it } from "vitest";
import { isKBackupError, type KubeObject, type ResourceRef } from "@kbackup/core";
import { DISK_BLOCK_SIZE, MemoryCluster, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock } from "@kbackup/testing";

const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const HANDLE = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-data";

function diskVolume(name = "pvc-data", handle = HANDLE): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "managed-csi",
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "app", name: "data", uid: "claim-uid" },
      csi: { driver: "disk.csi.azure.com", volumeHandle: handle, volumeAttributes: { "csi.storage.k8s.io/pv/name": name, skuname: "Premium_LRS" } },
    },
  };
}

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

async function setUp() {
  const clock = new ManualClock("2025-06-01T08:00:00.000Z");
  const cluster = new MemoryCluster({ clock });
  cluster.load([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } }, diskVolume()]);
  const volume = (await cluster.get(PVS, "pvc-data")) as KubeObject;
  return { clock, cluster, provider: new MemorySnapshotProvider(cluster), volume };
}

describe("MemorySnapshotProvider", () => {
  it("says why it cannot snapshot Azure Files, other drivers, in-tree volumes and missing disks", async () => {
    const { provider } = await setUp();
    const files = { ...diskVolume("files"), spec: { csi: { driver: "file.csi.azure.com", volumeHandle: "rg#acct#share###app" } } };
    expect(await provider.canSnapshot(files)).toEqual({
      supported: false,
      reason: "Azure Files volumes (file.csi.azure.com) cannot be snapshotted by this provider; only disk.csi.azure.com. PersistentVolume files is one.",
    });
    const inTree = { ...diskVolume("legacy"), spec: { azureDisk: { diskName: "d", diskURI: "/d" } } };
    expect(await provider.canSnapshot(inTree)).toMatchObject({ supported: false, reason: expect.stringContaining("in-tree azureDisk") });
    const other = { ...diskVolume("ebs"), spec: { csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } } };
    expect(await provider.canSnapshot(other)).toMatchObject({ supported: false, reason: expect.stringContaining("ebs.csi.aws.com") });
    expect(await provider.canSnapshot(diskVolume("ghost", "/no/such/disk"))).toMatchObject({ supported: false, reason: expect.stringContaining("/no/such/disk") });
    expect(await provider.canSnapshot({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } })).toMatchObject({ supported: false });
  });

  it("records the volume, its claim, size, time and tags; later snapshots share the unchanged blocks", async () => {
    const { clock, cluster, provider, volume } = await setUp();
    cluster.writeVolume(HANDLE, filled(3 * DISK_BLOCK_SIZE, 1));
    const first = await provider.createSnapshot(volume, { tags: { backup: "b1" } });
    expect(first).toMatchObject({
      provider: "memory",
      persistentVolumeName: "pvc-data",
      claim: { namespace: "app", name: "data" },
      driver: "disk.csi.azure.com",
      volumeHandle: HANDLE,
      sizeInBytes: 1024 * 1024,
      incremental: false,
      createdAt: "2025-06-01T08:00:00.000Z",
    });
    await clock.advance(60_000);
    cluster.writeVolume(HANDLE, filled(10, 2), DISK_BLOCK_SIZE + 5);
    const second = await provider.createSnapshot(volume, { claim: { namespace: "elsewhere", name: "other" } });
    expect(second).toMatchObject({ incremental: true, createdAt: "2025-06-01T08:01:00.000Z", claim: { namespace: "elsewhere", name: "other" } });
    const held = provider.listSnapshots();
    expect(held.map((snapshot) => [snapshot.record.snapshotHandle, snapshot.sharedBlocks, snapshot.allocatedBlocks, snapshot.tags])).toEqual([
      [first.snapshotHandle, 0, 3, { backup: "b1" }],
      [second.snapshotHandle, 2, 3, {}],
    ]);
  });

  it("reads each snapshot as of its instant and reports exactly the changed blocks", async () => {
    const { cluster, provider, volume } = await setUp();
    cluster.writeVolume(HANDLE, filled(2 * DISK_BLOCK_SIZE, 1));
    const first = await provider.createSnapshot(volume);
    cluster.writeVolume(HANDLE, filled(4, 9), 5 * DISK_BLOCK_SIZE - 2);
    const second = await provider.createSnapshot(volume);
    const reader = await provider.openSnapshot(second.snapshotHandle);
    expect(await reader.changedRanges?.(first.snapshotHandle)).toEqual([{ offset: 4 * DISK_BLOCK_SIZE, length: 2 * DISK_BLOCK_SIZE }]);
    expect(Array.from(await reader.read(5 * DISK_BLOCK_SIZE - 3, 6))).toEqual([0, 9, 9, 9, 9, 0]);
    const old = await provider.openSnapshot(first.snapshotHandle);
    expect(Array.from(await old.read(5 * DISK_BLOCK_SIZE - 3, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await old.changedRanges?.(first.snapshotHandle)).toEqual([]);
    await provider.deleteSnapshot(second.snapshotHandle);
    expect(Array.from(await reader.read(5 * DISK_BLOCK_SIZE - 1, 1))).toEqual([9]);
    await reader.close();
    await old.close();
  });

  it("makes a volume from a snapshot: a new disk beside the old one, and a PV that a claim can bind", async () => {
    const { cluster, provider, volume } = await setUp();
    cluster.writeVolume(HANDLE, filled(100, 7), 1000);
    const snapshot = await provider.createSnapshot(volume);
    cluster.writeVolume(HANDLE, filled(100, 8), 1000);
    const restored = await provider.createVolume(snapshot, volume, { persistentVolumeName: "pvc-restored" });
    expect(restored.volumeHandle).toMatch(/^\/subscriptions\/sub\/resourceGroups\/rg\/providers\/Microsoft\.Compute\/disks\/pvc-restored-[0-9a-f]{8}$/);
    expect(Array.from(cluster.readVolume(restored.volumeHandle, 999, 3))).toEqual([0, 7, 7]);
    expect(restored.persistentVolume).toEqual({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "pvc-restored" },
      spec: {
        capacity: { storage: "1Mi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Delete",
        storageClassName: "managed-csi",
        csi: { driver: "disk.csi.azure.com", volumeHandle: restored.volumeHandle, volumeAttributes: { "csi.storage.k8s.io/pv/name": "pvc-restored", skuname: "Premium_LRS" } },
      },
    });

    await cluster.create(PVS, restored.persistentVolume);
    const claim = await cluster.create(PVCS, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: "app" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, storageClassName: "managed-csi", volumeName: "pvc-restored" },
    });
    expect(claim["status"]).toMatchObject({ phase: "Bound" });
    cluster.writeVolume(restored.volumeHandle, filled(1, 5), 1000);
    const reader = await provider.openSnapshot(snapshot.snapshotHandle);
    expect(Array.from(await reader.read(1000, 1))).toEqual([7]);
  });

  it("refuses a bad name for the new PV, and unsupported or missing snapshots", async () => {
    const { provider, volume } = await setUp();
    const snapshot = await provider.createSnapshot(volume);
    const error = await provider.createVolume(snapshot, volume, { persistentVolumeName: "Bad_Name" }).catch((caught: unknown) => caught);
    expect(isKBackupError(error, "InvalidArgument") && error.field).toBe("options.persistentVolumeName");
    const files = { ...diskVolume("files"), spec: { csi: { driver: "file.csi.azure.com", volumeHandle: "x" } } };
    await expect(provider.createSnapshot(files)).rejects.toMatchObject({ code: "Unsupported", message: expect.stringContaining("Azure Files") });
    await expect(provider.openSnapshot("memory-snapshot-missing")).rejects.toMatchObject({ code: "NotFound" });
    expect(await provider.deleteSnapshot("memory-snapshot-missing")).toBe(false);
  });
});
