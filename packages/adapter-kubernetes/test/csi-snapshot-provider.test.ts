import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isKBackupError, type KubeObject, type ResourceRef } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { CsiSnapshotProvider, KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { ensureKubectl, kubectl, kubectlJson } from "./kubectl.js";

const CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const SNAPSHOTS: ResourceRef = { group: "snapshot.storage.k8s.io", version: "v1", resource: "volumesnapshots" };

let cluster: MemoryCluster;
let server: LocalApiServer;
let client: KubernetesCluster;
let directory: string;

function snapshotClass(name: string, isDefault: boolean, deletionPolicy = "Delete"): KubeObject {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotClass",
    metadata: { name, ...(isDefault ? { annotations: { "snapshot.storage.kubernetes.io/is-default-class": "true" } } : {}) },
    driver: "disk.csi.azure.com",
    deletionPolicy,
  };
}

async function boundVolume(name: string, bytes: Uint8Array): Promise<KubeObject> {
  await client.create(CLAIMS, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "data" },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: "managed-csi", resources: { requests: { storage: "64Ki" } } },
  });
  const claim = await client.get(CLAIMS, name, { namespace: "data" });
  const volume = (await client.get(PVS, (claim?.["spec"] as { volumeName: string }).volumeName)) as KubeObject;
  cluster.writeVolume((volume["spec"] as { csi: { volumeHandle: string } }).csi.volumeHandle, bytes);
  return volume;
}

beforeAll(async () => {
  ensureKubectl();
  cluster = new MemoryCluster({ identity: { name: "csi" } });
  cluster.load([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "data" } },
    { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "managed-csi" }, provisioner: "disk.csi.azure.com", reclaimPolicy: "Delete" },
    snapshotClass("plain", false, "Retain"),
    snapshotClass("chosen", true),
  ]);
  server = await startLocalApiServer({ cluster });
  client = new KubernetesCluster({ kubeConfig: { path: server.kubeconfigPath } });
  directory = await mkdtemp(join(tmpdir(), "kbackup-csi-"));
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe("the local server's snapshot controller, driven by kubectl", () => {
  it("makes an applied VolumeSnapshot ready, and a claim restored from it bound to a disk with its bytes", async () => {
    const bytes = Uint8Array.from({ length: 4096 }, (_, index) => (index * 13) % 251);
    await boundVolume("kubectl-source", bytes);
    const file = join(directory, "snapshot.json");
    await writeFile(
      file,
      [
        { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "by-kubectl", namespace: "data" }, spec: { source: { persistentVolumeClaimName: "kubectl-source" } } },
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "from-snapshot", namespace: "data" },
          spec: { accessModes: ["ReadWriteOnce"], storageClassName: "managed-csi", resources: { requests: { storage: "64Ki" } }, dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "by-kubectl" } },
        },
      ]
        .map((object) => JSON.stringify(object))
        .join("\n"),
    );
    await kubectl(server.kubeconfigPath, "apply", "-f", file);
    const snapshot = await kubectlJson(server.kubeconfigPath, "get", "volumesnapshot", "by-kubectl", "-n", "data");
    // The default-annotated class is chosen, and written back to the snapshot.
    expect(snapshot["spec"]).toMatchObject({ volumeSnapshotClassName: "chosen" });
    expect(snapshot["status"]).toMatchObject({ readyToUse: true, restoreSize: "64Ki" });
    const contentName = (snapshot["status"] as { boundVolumeSnapshotContentName: string }).boundVolumeSnapshotContentName;
    const content = await kubectlJson(server.kubeconfigPath, "get", "volumesnapshotcontent", contentName);
    expect(content["spec"]).toMatchObject({ deletionPolicy: "Delete", driver: "disk.csi.azure.com", volumeSnapshotRef: { name: "by-kubectl", namespace: "data" } });
    expect(server.snapshotStorage.get((content["status"] as { snapshotHandle: string }).snapshotHandle)).toBeDefined();
    const claim = await kubectlJson(server.kubeconfigPath, "get", "pvc", "from-snapshot", "-n", "data");
    expect(claim["status"]).toMatchObject({ phase: "Bound" });
    const volume = await kubectlJson(server.kubeconfigPath, "get", "pv", (claim["spec"] as { volumeName: string }).volumeName);
    const handle = (volume["spec"] as { csi: { volumeHandle: string } }).csi.volumeHandle;
    expect(Buffer.from(cluster.readVolume(handle, 0, bytes.length)).equals(Buffer.from(bytes))).toBe(true);
    // Deleting the snapshot deletes its content and the stored snapshot (deletion policy Delete).
    await kubectl(server.kubeconfigPath, "delete", "volumesnapshot", "by-kubectl", "-n", "data");
    await expect(kubectl(server.kubeconfigPath, "get", "volumesnapshotcontent", contentName)).rejects.toThrow(/not found/);
    expect(server.snapshotStorage.get((content["status"] as { snapshotHandle: string }).snapshotHandle)).toBeUndefined();
  });

  it("reports a snapshot of a claim that does not exist in its status", async () => {
    const file = join(directory, "orphan.json");
    await writeFile(file, JSON.stringify({ apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "orphan", namespace: "data" }, spec: { source: { persistentVolumeClaimName: "nothing" } } }));
    await kubectl(server.kubeconfigPath, "apply", "-f", file);
    const snapshot = await kubectlJson(server.kubeconfigPath, "get", "volumesnapshot", "orphan", "-n", "data");
    expect(snapshot["status"]).toMatchObject({ readyToUse: false, error: { message: expect.stringMatching(/not bound/) } });
  });
});

describe("CsiSnapshotProvider", () => {
  it("snapshots with the driver's default class and labels what it makes so that backups leave it out", async () => {
    const provider = new CsiSnapshotProvider(client);
    const volume = await boundVolume("labelled", new Uint8Array([1, 2, 3]));
    const record = await provider.createSnapshot(volume, { tags: { backup: "nightly" } });
    expect(record).toMatchObject({ provider: "csi", driver: "disk.csi.azure.com", claim: { namespace: "data", name: "labelled" }, incremental: false, sizeInBytes: 65536 });
    const snapshots = [];
    for await (const snapshot of client.list(SNAPSHOTS, { namespace: "data", labelSelector: "kbackup.io/exclude-from-backup=true" })) snapshots.push(snapshot);
    const made = snapshots.find((snapshot) => (snapshot["spec"] as { source: { persistentVolumeClaimName: string } }).source.persistentVolumeClaimName === "labelled");
    expect(made?.["spec"]).toMatchObject({ volumeSnapshotClassName: "chosen" });
    expect(made?.metadata.annotations?.["kbackup.io/tags"]).toBe(JSON.stringify({ backup: "nightly" }));
    expect(await provider.deleteSnapshot(record.snapshotHandle)).toBe(true);
    expect(await client.get(SNAPSHOTS, made?.metadata.name as string, { namespace: "data" })).toBeUndefined();
  });

  it("says why a driver without a class is unsupported, and openSnapshot is Unsupported with the reason", async () => {
    const provider = new CsiSnapshotProvider(client);
    const volume = await boundVolume("classless", new Uint8Array([9]));
    const other = { ...volume, spec: { ...(volume["spec"] as object), csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } } };
    expect(await provider.canSnapshot(other)).toEqual({ supported: false, reason: expect.stringMatching(/ebs\.csi\.aws\.com.*no VolumeSnapshotClass/) });
    const error = await provider.openSnapshot("any").catch((caught: unknown) => caught);
    expect(isKBackupError(error, "Unsupported") && /no data path/.test(error.message)).toBe(true);
  });

  it("a snapshot that fails is Adapter with the controller's reason, and is deleted", async () => {
    const provider = new CsiSnapshotProvider(client);
    const volume = await boundVolume("failing", new Uint8Array([7]));
    // Another claim name than the PV's: the controller finds no such claim.
    const error = await provider.createSnapshot(volume, { claim: { namespace: "data", name: "missing-claim" } }).catch((caught: unknown) => caught);
    expect(isKBackupError(error, "Adapter") && /not bound/.test(error.message)).toBe(true);
    for await (const snapshot of client.list(SNAPSHOTS, { namespace: "data" })) {
      expect((snapshot["spec"] as { source: { persistentVolumeClaimName?: string } }).source.persistentVolumeClaimName).not.toBe("missing-claim");
    }
  });

  it("refuses a bad work namespace or timeout before any request", () => {
    expect(() => new CsiSnapshotProvider(client, { workNamespace: "Not_Valid" })).toThrow(/workNamespace/);
    expect(() => new CsiSnapshotProvider(client, { readyTimeoutInMs: 0 })).toThrow(/readyTimeoutInMs/);
  });
});
