import { afterAll, it } from "vitest";
import type { KubeObject, ResourceRef } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { CsiSnapshotProvider, KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { snapshotProviderConformance, startLocalApiServer, type LocalApiServer } from "@kbackup/testing";

// The snapshot controller of a local API server takes and restores the snapshots; the provider
// only speaks the snapshot.storage.k8s.io API to it, as it would to a real cluster.
const CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const cluster = new MemoryCluster({ identity: { name: "csi" } });
cluster.load([
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "data" } },
  { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "managed-csi" }, provisioner: "disk.csi.azure.com", reclaimPolicy: "Delete", volumeBindingMode: "WaitForFirstConsumer" },
  { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: "csi-azuredisk-vsc", annotations: { "snapshot.storage.kubernetes.io/is-default-class": "true" } }, driver: "disk.csi.azure.com", deletionPolicy: "Delete" },
]);
let server: Promise<LocalApiServer> | undefined;
let claims = 0;
const clients: KubernetesCluster[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  await (await server)?.stop();
});

function persistentVolume(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "v1", kind: "PersistentVolume", metadata: { name }, spec: { capacity: { storage: "1Mi" }, accessModes: ["ReadWriteOnce"], ...spec } };
}

snapshotProviderConformance(it, async () => {
  server ??= startLocalApiServer({ cluster });
  const client = new KubernetesCluster({ kubeConfig: { yaml: (await server).kubeConfigYaml } });
  clients.push(client);
  const provider = new CsiSnapshotProvider(client, { workNamespace: "kbackup-restores", readyTimeoutInMs: 5_000 });
  return {
    provider,
    async supportedVolume() {
      const name = `claim-${++claims}`;
      await client.create(CLAIMS, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace: "data" },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "managed-csi", resources: { requests: { storage: "1Mi" } } },
      });
      const claim = await client.get(CLAIMS, name, { namespace: "data" });
      const persistentVolume = (await client.get(PVS, (claim?.["spec"] as { volumeName: string }).volumeName)) as KubeObject;
      const data = Uint8Array.from({ length: 100_000 }, (_, index) => (index * 7 + claims) % 256);
      const dataOffset = 65_536 - 1000;
      cluster.writeVolume((persistentVolume["spec"] as { csi: { volumeHandle: string } }).csi.volumeHandle, data, dataOffset);
      return { persistentVolume, data, dataOffset };
    },
    async unsupportedVolumes() {
      const claimRef = { namespace: "data", name: "some-claim" };
      return [
        persistentVolume("pv-files", { csi: { driver: "file.csi.azure.com", volumeHandle: "rg#account#share###data" }, claimRef }),
        persistentVolume("pv-unclaimed", { csi: { driver: "disk.csi.azure.com", volumeHandle: "/subscriptions/0/disks/free" } }),
        persistentVolume("pv-in-tree", { azureDisk: { diskName: "d", diskURI: "/subscriptions/0/disks/d" }, claimRef }),
        persistentVolume("pv-host", { hostPath: { path: "/data" }, claimRef }),
      ];
    },
    async writeVolume(volume, bytes, offset) {
      cluster.writeVolume((volume["spec"] as { csi: { volumeHandle: string } }).csi.volumeHandle, bytes, offset);
    },
    async readVolume(volume, offset, length) {
      return cluster.readVolume(volume.volumeHandle, offset, length);
    },
  };
});

