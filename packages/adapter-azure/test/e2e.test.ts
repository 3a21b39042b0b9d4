import { createHash, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComputeManagementClient } from "@azure/arm-compute";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { AzureBlobObjectStore, AzureDiskSnapshotProvider, parseComputeResourceId } from "@kbackup/adapter-azure";
import { BackupVault, collect, type BackupJob, type KubeObject, type RecoveryPointManifest, type ResourceRef } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { SAMPLE_CLUSTER, sampleCluster, sampleVolumeBytes, startAzurite, startLocalArmServer, type AzuriteHandle, type LocalArmServer } from "@kbackup/testing";

// The whole round trip on Azure's own protocols: disks and snapshots through the real ARM client
// against the local ARM endpoint, recovery points in Blob Storage on Azurite.

const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const SNAPSHOT_GROUP = "kbackup-snapshots";
const RESTORE_GROUP = "kbackup-restored";
const KiB = 1024;

const diskVolumes = SAMPLE_CLUSTER.persistentVolumes.filter((volume) => volume.driver === "disk.csi.azure.com");
const fileVolumes = SAMPLE_CLUSTER.persistentVolumes.filter((volume) => volume.driver === "file.csi.azure.com");
const diskNamespaces = [...new Set(diskVolumes.map((volume) => volume.claim?.namespace).filter((namespace): namespace is string => namespace !== undefined))].sort();
const shopDisk = diskVolumes.find((volume) => volume.claim?.namespace === "shop")!;
const shopDiskId = parseComputeResourceId(shopDisk.volumeHandle, "disks")!;
const diskSize = shopDisk.sizeInBytes ?? SAMPLE_CLUSTER.volumeBytes;

let azurite: AzuriteHandle | undefined;
let arm: LocalArmServer | undefined;
let container: ContainerClient;
let provider: AzureDiskSnapshotProvider;

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true, resolveFrom: import.meta.url });
  arm = await startLocalArmServer({ blob: azurite });
  // Every sample disk, at the very ARM id its PV names, holding the bytes the sample cluster holds.
  for (const volume of diskVolumes) {
    const id = parseComputeResourceId(volume.volumeHandle, "disks")!;
    const size = volume.sizeInBytes ?? SAMPLE_CLUSTER.volumeBytes;
    const made = await arm.createDisk({ ...id, sizeInBytes: size, bytes: sampleVolumeBytes(volume.volumeHandle, size), location: SAMPLE_CLUSTER.identity.region, zone: "1" });
    expect(made.toLowerCase()).toBe(volume.volumeHandle.toLowerCase());
  }
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`backups-${randomUUID()}`);
  await container.create();
  // The provider works in the sample cluster's subscription, or it would refuse the sample's disks.
  provider = new AzureDiskSnapshotProvider({
    client: new ComputeManagementClient(arm.credential, shopDiskId.subscriptionId, { endpoint: arm.url, tlsOptions: { ca: arm.ca } }),
    subscriptionId: shopDiskId.subscriptionId,
    snapshotResourceGroup: SNAPSHOT_GROUP,
    targetResourceGroup: RESTORE_GROUP,
    // Azurite has no diff of page blob snapshots; the union of written pages works everywhere.
    changedRangesMethod: "allocated-pages",
    pollIntervalInMs: 5,
  });
});

afterAll(async () => {
  // Each step runs even when an earlier one fails; Azurite's stop removes its temporary folder.
  try {
    await arm?.close();
  } finally {
    await azurite?.stop();
  }
});

/** The sample cluster protected in a new vault, its disks snapshotted in the local ARM endpoint and its recovery points on Azurite. */
async function protectSample(name: string) {
  const cluster = await sampleCluster();
  const store = new AzureBlobObjectStore({ containerClient: container, prefix: name });
  const vault = new BackupVault({ name: `vault-${name}` });
  const instance = await vault.protect({ name, cluster, snapshotProvider: provider, operationalStore: store, datasourceParameters: { includedNamespaces: diskNamespaces } });
  return { cluster, instance };
}

/** Backs up, expects success, and returns the job and its recovery point. */
async function backUp(instance: Awaited<ReturnType<typeof protectSample>>["instance"]): Promise<{ job: BackupJob; manifest: RecoveryPointManifest }> {
  const job = await instance.backupNow();
  expect(job.errorDetails ?? []).toEqual([]);
  const recoveryPointId = job.extendedInfo.recoveryPointId;
  expect(recoveryPointId).toBeTruthy();
  return { job, manifest: await instance.getRecoveryPoint(recoveryPointId!) };
}

function snapshotOf(manifest: RecoveryPointManifest) {
  const record = manifest.volumeSnapshots.find((snapshot) => snapshot.persistentVolumeName === shopDisk.name);
  expect(record, `no snapshot of ${shopDisk.name} in ${JSON.stringify(manifest.volumeSnapshots)}`).toBeDefined();
  return record!;
}

function equalBytes(actual: Uint8Array, expected: Uint8Array): boolean {
  return actual.length === expected.length && Buffer.from(actual).equals(Buffer.from(expected));
}

describe("kbackup on Azure: AzureDiskSnapshotProvider and AzureBlobObjectStore through BackupVault", () => {
  it("backs up the sample cluster's disk namespaces and restores them to another cluster with a new disk holding the same bytes", async () => {
    expect(diskNamespaces).toContain("shop");
    const { cluster, instance } = await protectSample("e2e-restore");
    const original = await arm!.readBytes(shopDisk.volumeHandle);
    expect(equalBytes(original, cluster.readVolume(shopDisk.volumeHandle))).toBe(true);

    const { job, manifest } = await backUp(instance);
    // Only Azure Files volumes in the selected namespaces may warn, each named in its warning.
    const skippedFiles = fileVolumes.filter((volume) => diskNamespaces.includes(volume.claim?.namespace ?? ""));
    expect(job.status).toBe(skippedFiles.length === 0 ? "Completed" : "CompletedWithWarnings");
    expect(job.warningDetails ?? []).toHaveLength(skippedFiles.length);
    for (const file of skippedFiles) expect(job.warningDetails?.some((warning) => warning.message.includes(file.name))).toBe(true);
    expect(manifest.skippedVolumes.map((skipped) => skipped.persistentVolumeName).sort()).toEqual(skippedFiles.map((volume) => volume.name).sort());
    const backedUpDisks = diskVolumes.filter((volume) => diskNamespaces.includes(volume.claim?.namespace ?? ""));
    expect(manifest.volumeSnapshots.map((snapshot) => snapshot.persistentVolumeName).sort()).toEqual(backedUpDisks.map((volume) => volume.name).sort());

    // The snapshot is an incremental copy of the disk in the snapshot resource group, tagged with the backup.
    const record = snapshotOf(manifest);
    expect(record).toMatchObject({ provider: "azure-disk", volumeHandle: shopDisk.volumeHandle, incremental: true, sizeInBytes: diskSize });
    expect(parseComputeResourceId(record.snapshotHandle, "snapshots")).toMatchObject({ subscriptionId: shopDiskId.subscriptionId, resourceGroup: SNAPSHOT_GROUP });
    const snapshot = arm!.resource(record.snapshotHandle) as { tags?: Record<string, string>; properties: Record<string, unknown> } | undefined;
    expect(snapshot).toBeDefined();
    expect(snapshot!.properties).toMatchObject({ incremental: true, creationData: { createOption: "Copy", sourceResourceId: shopDisk.volumeHandle } });
    expect(snapshot!.tags).toMatchObject({
      "kbackup.io/backup-instance": "e2e-restore",
      "kbackup.io/recovery-point": manifest.recoveryPointId,
      "created-by": "kbackup",
      "kbackup-claim": `shop/${shopDisk.claim!.name}`,
    });
    expect(equalBytes(await arm!.readBytes(record.snapshotHandle), original)).toBe(true);

    // The recovery point's archive and manifest are blobs in Azurite, the archive exactly as the manifest describes it.
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: "e2e-restore/" })) names.push(blob.name);
    const folder = `recovery-points/${manifest.recoveryPointId}/`;
    const archiveName = names.find((name) => name.endsWith(`${folder}resources.tar.gz`));
    expect(archiveName, names.join("\n")).toBeDefined();
    expect(names).toContain(archiveName!.replace(/resources\.tar\.gz$/, "manifest.json"));
    const archive = await container.getBlobClient(archiveName!).downloadToBuffer();
    expect(archive.length).toBe(manifest.archive.sizeInBytes);
    expect(createHash("sha256").update(archive).digest("hex")).toBe(manifest.archive.sha256);

    // Restore into an empty cluster, shop mapped to shop-restored, disks made in the target resource group.
    const target = new MemoryCluster({ identity: { name: "aks-restore", region: SAMPLE_CLUSTER.identity.region, subscriptionId: shopDiskId.subscriptionId } });
    const restore = await instance.restore(manifest.recoveryPointId, { namespaceMappings: { shop: "shop-restored" } }, { targetCluster: target, targetSnapshotProvider: provider });
    expect(restore.errorDetails ?? []).toEqual([]);
    expect(restore.status).toBe("Completed");
    expect(await collect(target.list(PVCS, { namespace: "shop" }))).toEqual([]);
    const claim = await target.get(PVCS, shopDisk.claim!.name, { namespace: "shop-restored" });
    expect(claim).toBeDefined();
    const volumeName = (claim!.spec as { volumeName?: string }).volumeName;
    expect(volumeName).toBeTruthy();
    expect((claim!.status as { phase?: string } | undefined)?.phase).toBe("Bound");
    const volume = (await target.get(PVS, volumeName!)) as KubeObject;
    expect(volume).toBeDefined();
    const volumeSpec = volume.spec as { claimRef?: { namespace?: string; name?: string }; csi?: { driver?: string; volumeHandle?: string } };
    expect(volumeSpec.claimRef).toMatchObject({ namespace: "shop-restored", name: shopDisk.claim!.name });
    expect(volumeSpec.csi?.driver).toBe("disk.csi.azure.com");
    const restoredHandle = volumeSpec.csi?.volumeHandle ?? "";
    expect(restoredHandle.toLowerCase()).not.toBe(shopDisk.volumeHandle.toLowerCase());
    expect(parseComputeResourceId(restoredHandle, "disks")).toMatchObject({ subscriptionId: shopDiskId.subscriptionId, resourceGroup: RESTORE_GROUP });
    const restoredDisk = arm!.resource(restoredHandle) as { properties: Record<string, unknown> } | undefined;
    expect(restoredDisk?.properties).toMatchObject({ creationData: { createOption: "Copy", sourceResourceId: record.snapshotHandle } });
    // The new disk's page blob holds the original disk's bytes exactly, and the original disk is untouched.
    const restoredBytes = await arm!.readBytes(restoredHandle);
    expect(restoredBytes.length).toBe(diskSize);
    expect(equalBytes(restoredBytes, original)).toBe(true);
    expect(equalBytes(restoredBytes, sampleVolumeBytes(shopDisk.volumeHandle, diskSize))).toBe(true);
    expect(equalBytes(await arm!.readBytes(shopDisk.volumeHandle), original)).toBe(true);
    expect(arm!.activeAccesses).toEqual([]);
  });

  // Changes the sample disk, so it comes after the test that compares restored bytes with the sample's.
  it("a second backup after the disk changed takes a snapshot whose changed ranges cover the changed bytes", async () => {
    const { instance } = await protectSample("e2e-incremental");
    // The sample bytes fill the whole disk; a quarter of it is trimmed (its pages cleared, as a
    // file system's discard does), so that some pages are written in neither snapshot.
    expect(diskSize % (256 * KiB)).toBe(0);
    const trimmed = { start: diskSize / 2, end: (diskSize * 3) / 4 };
    await arm!.writeDisk(shopDisk.volumeHandle, trimmed.start, new Uint8Array(trimmed.end - trimmed.start));
    const first = snapshotOf((await backUp(instance)).manifest);
    const before = await arm!.readBytes(shopDisk.volumeHandle);
    // Two writes across page boundaries: one among the sample bytes, one in the trimmed quarter.
    const writes = [
      { offset: 3 * KiB + 100, bytes: new Uint8Array(randomBytes(700)) },
      { offset: trimmed.start + 64 * KiB + 7, bytes: new Uint8Array(randomBytes(2 * KiB)) },
    ];
    for (const write of writes) await arm!.writeDisk(shopDisk.volumeHandle, write.offset, write.bytes);

    const second = await backUp(instance);
    const record = snapshotOf(second.manifest);
    expect(record.snapshotHandle).not.toBe(first.snapshotHandle);
    expect(record.incremental).toBe(true);
    expect((arm!.resource(record.snapshotHandle) as { tags?: Record<string, string> }).tags).toMatchObject({ "kbackup.io/recovery-point": second.manifest.recoveryPointId });

    const reader = await provider.openSnapshot(record.snapshotHandle);
    const earlier = await provider.openSnapshot(first.snapshotHandle);
    try {
      const ranges = await reader.changedRanges?.(first.snapshotHandle);
      expect(ranges).toBeDefined();
      const covered = (byte: number) => ranges!.some((range) => range.offset <= byte && byte < range.offset + range.length);
      for (const write of writes) {
        const uncovered = Array.from(write.bytes, (_, index) => write.offset + index).filter((byte) => !covered(byte));
        expect(uncovered).toEqual([]);
        // The new snapshot holds the new bytes; the earlier one still holds what was there before.
        expect(equalBytes(await reader.read(write.offset, write.bytes.length), write.bytes)).toBe(true);
        expect(equalBytes(await earlier.read(write.offset, write.bytes.length), before.subarray(write.offset, write.offset + write.bytes.length))).toBe(true);
      }
      // Pages of the trimmed quarter that neither snapshot holds, 64 KiB away from the write there, are not reported.
      expect(covered(trimmed.start + 16)).toBe(false);
      expect(covered(trimmed.end - 16)).toBe(false);
    } finally {
      await reader.close();
      await earlier.close();
    }
    expect(arm!.activeAccesses).toEqual([]);
  });
});
