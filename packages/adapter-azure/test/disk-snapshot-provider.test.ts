import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComputeManagementClient } from "@azure/arm-compute";
import { AzureDiskSnapshotProvider, type AzureDiskSnapshotProviderOptions } from "@kbackup/adapter-azure";
import { isKBackupError, type KBackupErrorCode, type KubeObject } from "@kbackup/core";
import { snapshotProviderConformance, startAzurite, startLocalArmServer, type AzuriteHandle, type LocalArmServer } from "@kbackup/testing";

const SUBSCRIPTION = "00000000-0000-0000-0000-00000000c0de";
const DISKS_GROUP = "mc_aks-rg_aks_westeurope";
const KiB = 1024;

let azurite: AzuriteHandle;
let arm: LocalArmServer;
let client: ComputeManagementClient;

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true, resolveFrom: import.meta.url });
  arm = await startLocalArmServer({ blob: azurite });
  // The real ARM client, over HTTPS to the local server, trusting its self-signed certificate.
  client = new ComputeManagementClient(arm.credential, SUBSCRIPTION, { endpoint: arm.url, tlsOptions: { ca: arm.ca } });
});
afterAll(async () => {
  await arm?.close();
  await azurite?.stop();
});

function provider(options: Partial<AzureDiskSnapshotProviderOptions> = {}): AzureDiskSnapshotProvider {
  return new AzureDiskSnapshotProvider({
    client,
    subscriptionId: SUBSCRIPTION,
    snapshotResourceGroup: "kbackup-snapshots",
    // Azurite has no diff of page blob snapshots; the union of written pages works everywhere.
    changedRangesMethod: "allocated-pages",
    pollIntervalInMs: 5,
    ...options,
  });
}

/** A disk holding `data` at `dataOffset`, and its PV as the Azure Disk CSI driver makes it, bound to a claim. */
async function diskVolume(options: { sizeInBytes?: number; data?: Uint8Array; dataOffset?: number; zone?: string } = {}) {
  const name = `pvc-${randomBytes(6).toString("hex")}`;
  const data = options.data ?? randomBytes(10 * KiB);
  const dataOffset = options.dataOffset ?? 4 * KiB;
  const bytes = new Uint8Array(dataOffset + data.length);
  bytes.set(data, dataOffset);
  const zone = options.zone ?? "1";
  const diskId = await arm.createDisk({ subscriptionId: SUBSCRIPTION, resourceGroup: DISKS_GROUP, name, sizeInBytes: options.sizeInBytes ?? 256 * KiB, bytes, zone });
  const persistentVolume: KubeObject = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      uid: "5f0c3d2e-0000-4000-8000-000000000001",
      resourceVersion: "4711",
      creationTimestamp: "2025-01-15T09:00:00Z",
      finalizers: ["kubernetes.io/pv-protection"],
      annotations: { "pv.kubernetes.io/provisioned-by": "disk.csi.azure.com" },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: "1Gi" },
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "shop", name: "data-db-0", uid: "c1a1" },
      csi: { driver: "disk.csi.azure.com", volumeHandle: diskId, fsType: "ext4", volumeAttributes: { "csi.storage.k8s.io/pv/name": name, skuname: "Premium_LRS" } },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.disk.csi.azure.com/zone", operator: "In", values: [`westeurope-${zone}`] }] }] } },
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "managed-csi-premium",
    },
    status: { phase: "Bound" },
  };
  return { persistentVolume, data, dataOffset, diskId };
}

function pv(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "v1", kind: "PersistentVolume", metadata: { name }, spec };
}

async function failure(call: () => Promise<unknown>): Promise<{ code: KBackupErrorCode; message: string }> {
  try {
    await call();
  } catch (error) {
    if (!isKBackupError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error("expected a failure, but the call succeeded");
}

describe("AzureDiskSnapshotProvider against a local ARM endpoint", () => {
  snapshotProviderConformance(it, async () => ({
    provider: provider(),
    supportedVolume: () => diskVolume(),
    unsupportedVolumes: async () => [
      pv("azure-files", { csi: { driver: "file.csi.azure.com", volumeHandle: "rg#account#share" } }),
      pv("ebs", { csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-0123" } }),
      pv("host-path", { hostPath: { path: "/data" } }),
      pv("in-tree", { azureDisk: { kind: "Managed", diskName: "d", diskURI: `/subscriptions/${SUBSCRIPTION}/resourceGroups/g/providers/Microsoft.Compute/disks/d` } }),
      pv("not-an-arm-id", { csi: { driver: "disk.csi.azure.com", volumeHandle: "some-disk" } }),
      pv("other-subscription", { csi: { driver: "disk.csi.azure.com", volumeHandle: "/subscriptions/other/resourceGroups/g/providers/Microsoft.Compute/disks/d" } }),
    ],
    writeVolume: (persistentVolume, bytes, offset) => arm.writeDisk((persistentVolume.spec as { csi: { volumeHandle: string } }).csi.volumeHandle, offset, bytes),
    readVolume: async (volume, offset, length) => (await arm.readBytes(volume.volumeHandle)).slice(offset, offset + length),
  }));
});

describe("AzureDiskSnapshotProvider, Azure specifics", () => {
  it("takes incremental snapshots in the snapshot resource group, tagged with the backup, through polled operations", async () => {
    const volume = await diskVolume();
    const record = await provider({ tags: { "backup-vault": "vault-1" } }).createSnapshot(volume.persistentVolume, { tags: { "backup-instance": "aks-1" } });
    expect(record.snapshotHandle).toMatch(new RegExp(`^/subscriptions/${SUBSCRIPTION}/resourceGroups/kbackup-snapshots/providers/Microsoft.Compute/snapshots/${volume.persistentVolume.metadata.name}-`));
    expect(record).toMatchObject({ provider: "azure-disk", driver: "disk.csi.azure.com", volumeHandle: volume.diskId, incremental: true, sizeInBytes: 256 * KiB, claim: { namespace: "shop", name: "data-db-0" } });
    const snapshot = arm.resource(record.snapshotHandle) as { tags: Record<string, string>; properties: Record<string, unknown> };
    expect(snapshot.properties).toMatchObject({ incremental: true, creationData: { createOption: "Copy", sourceResourceId: volume.diskId } });
    expect(snapshot.tags).toMatchObject({ "backup-vault": "vault-1", "backup-instance": "aks-1", "created-by": "kbackup", "kbackup-claim": "shop/data-db-0" });
    const name = record.snapshotHandle.split("/").at(-1);
    expect(arm.requests).toContain(`PUT /subscriptions/${SUBSCRIPTION}/resourceGroups/kbackup-snapshots/providers/Microsoft.Compute/snapshots/${name}`);
    expect(arm.requests.some((request) => /^GET \/subscriptions\/.*\/operations\//.test(request))).toBe(true);
  });

  it("restores into the target resource group and zone, with the PV rewritten to the new disk", async () => {
    const volume = await diskVolume({ zone: "1" });
    const disks = provider({ targetResourceGroup: "restore-rg" });
    const record = await disks.createSnapshot(volume.persistentVolume);
    const restored = await disks.createVolume(record, volume.persistentVolume, { persistentVolumeName: "restored-pv", location: { zone: "2" } });
    expect(restored.volumeHandle).toMatch(new RegExp(`^/subscriptions/${SUBSCRIPTION}/resourceGroups/restore-rg/providers/Microsoft.Compute/disks/restored-pv-`));
    const disk = arm.resource(restored.volumeHandle) as { zones?: string[]; location: string; properties: Record<string, unknown> };
    expect(disk.zones).toEqual(["2"]);
    expect(disk.properties.creationData).toEqual({ createOption: "Copy", sourceResourceId: record.snapshotHandle });
    const spec = restored.persistentVolume.spec as Record<string, any>;
    expect(restored.persistentVolume.metadata).toEqual({ name: "restored-pv", annotations: { "pv.kubernetes.io/provisioned-by": "disk.csi.azure.com" } });
    expect(restored.persistentVolume.status).toBeUndefined();
    expect(spec.claimRef).toBeUndefined();
    expect(spec.csi).toEqual({ driver: "disk.csi.azure.com", volumeHandle: restored.volumeHandle, fsType: "ext4", volumeAttributes: { "csi.storage.k8s.io/pv/name": "restored-pv", skuname: "Premium_LRS" } });
    expect(spec.nodeAffinity.required.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: "topology.disk.csi.azure.com/zone", operator: "In", values: ["westeurope-2"] }] }]);
    expect(volume.persistentVolume.metadata.uid).toBeDefined();

    // A retried restore finds the disk it made instead of making another.
    const before = arm.requests.filter((request) => request.startsWith("PUT") && request.includes("/disks/")).length;
    const again = await disks.createVolume(record, volume.persistentVolume, { persistentVolumeName: "restored-pv" });
    expect(again.volumeHandle).toBe(restored.volumeHandle);
    expect(arm.requests.filter((request) => request.startsWith("PUT") && request.includes("/disks/")).length).toBe(before);

    // Without a zone anywhere, the disk is regional and the PV loses its zone affinity.
    const regional = await disks.createVolume(record, volume.persistentVolume, { persistentVolumeName: "regional-pv", location: { zone: "" } });
    expect((arm.resource(regional.volumeHandle) as { zones?: string[] }).zones).toBeUndefined();
    expect((regional.persistentVolume.spec as Record<string, unknown>).nodeAffinity).toBeUndefined();
  });

  it("reads a snapshot through a granted SAS that is revoked on close", async () => {
    const volume = await diskVolume();
    const disks = provider();
    const record = await disks.createSnapshot(volume.persistentVolume);
    const reader = await disks.openSnapshot(record.snapshotHandle);
    expect(arm.activeAccesses).toEqual([record.snapshotHandle]);
    expect(await reader.read(volume.dataOffset, volume.data.length)).toEqual(new Uint8Array(volume.data));
    expect(await reader.read(0, volume.dataOffset)).toEqual(new Uint8Array(volume.dataOffset));
    // Two readers of one snapshot share its access; the last to close revokes it.
    const second = await disks.openSnapshot(record.snapshotHandle);
    await reader.close();
    expect(arm.activeAccesses).toEqual([record.snapshotHandle]);
    expect((await second.read(volume.dataOffset, 4)).length).toBe(4);
    await second.close();
    await second.close();
    expect(arm.activeAccesses).toEqual([]);
  });

  it("changedRanges covers the writes between two snapshots and little else; another disk's snapshot gives no answer", async () => {
    const volume = await diskVolume({ sizeInBytes: 4096 * KiB, dataOffset: 0, data: randomBytes(64 * KiB) });
    const disks = provider();
    const first = await disks.createSnapshot(volume.persistentVolume);
    await arm.writeDisk(volume.diskId, 2048 * KiB + 100, randomBytes(1000));
    const second = await disks.createSnapshot(volume.persistentVolume);
    const reader = await disks.openSnapshot(second.snapshotHandle);
    try {
      const ranges = (await reader.changedRanges?.(first.snapshotHandle)) ?? [];
      const covered = (byte: number) => ranges.some((range) => range.offset <= byte && byte < range.offset + range.length);
      for (const byte of [2048 * KiB + 100, 2048 * KiB + 1099]) expect(covered(byte)).toBe(true);
      for (const byte of [1024 * KiB, 3072 * KiB, 4096 * KiB - 1]) expect(covered(byte)).toBe(false);
      const other = await disks.createSnapshot((await diskVolume()).persistentVolume);
      expect(await reader.changedRanges?.(other.snapshotHandle)).toBeUndefined();
    } finally {
      await reader.close();
    }
    expect(arm.activeAccesses).toEqual([]);
  });

  it("says what is missing, and which roles to check when access is denied", async () => {
    const volume = await diskVolume();
    const gone = structuredClone(volume.persistentVolume);
    (gone.spec as { csi: { volumeHandle: string } }).csi.volumeHandle = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${DISKS_GROUP}/providers/Microsoft.Compute/disks/no-such-disk`;
    expect((await failure(() => provider().createSnapshot(gone))).code).toBe("NotFound");
    expect((await failure(() => provider().deleteSnapshot("not-an-id"))).code).toBe("InvalidArgument");

    const wrongToken = { getToken: async () => ({ token: "wrong", expiresOnTimestamp: Date.now() + 3600_000 }) };
    const denied = new AzureDiskSnapshotProvider({
      credential: wrongToken,
      subscriptionId: SUBSCRIPTION,
      clientOptions: { endpoint: arm.url, tlsOptions: { ca: arm.ca } },
      snapshotResourceGroup: "kbackup-snapshots",
    });
    const error = await failure(() => denied.createSnapshot(volume.persistentVolume));
    expect(error.code).toBe("PermissionDenied");
    expect(error.message).toContain("Disk Snapshot Contributor");
  });

  it("checks its options before any I/O", () => {
    const field = (options: Partial<AzureDiskSnapshotProviderOptions>) => {
      try {
        new AzureDiskSnapshotProvider(options as AzureDiskSnapshotProviderOptions);
        return "accepted";
      } catch (error) {
        return isKBackupError(error, "InvalidArgument") ? error.field : String(error);
      }
    };
    expect(field({ client, subscriptionId: SUBSCRIPTION })).toBe("options.snapshotResourceGroup");
    expect(field({ snapshotResourceGroup: "rg", subscriptionId: SUBSCRIPTION })).toBe("options.credential");
    expect(field({ snapshotResourceGroup: "rg", credential: arm.credential })).toBe("options.subscriptionId");
    expect(field({ client, subscriptionId: SUBSCRIPTION, snapshotResourceGroup: "rg", changedRangesMethod: "guess" as never })).toBe("options.changedRangesMethod");
    expect(field({ client, subscriptionId: SUBSCRIPTION, snapshotResourceGroup: "rg" })).toBe("accepted");
  });
});
