import { randomBytes } from "node:crypto";
import { describe, it } from "vitest";
import { ComputeManagementClient } from "@azure/arm-compute";
import { PageBlobClient } from "@azure/storage-blob";
import { AzureDiskSnapshotProvider, parseComputeResourceId } from "@kbackup/adapter-azure";
import type { KubeObject } from "@kbackup/core";
import { snapshotProviderConformance } from "@kbackup/testing";
import { liveCredential, liveEnvironment } from "./live-environment.js";

const env = liveEnvironment(["KBACKUP_LIVE_SUBSCRIPTION_ID", "KBACKUP_LIVE_RESOURCE_GROUP", "KBACKUP_LIVE_SNAPSHOT_RESOURCE_GROUP", "KBACKUP_LIVE_LOCATION"] as const);
const client = new ComputeManagementClient(liveCredential, env.KBACKUP_LIVE_SUBSCRIPTION_ID);
const DISK_GIB = 4;

describe("AzureDiskSnapshotProvider against a real subscription", () => {
  snapshotProviderConformance(it, async () => {
    const made: Array<{ kind: "disks" | "snapshots"; group: string; name: string }> = [];
    const provider = new AzureDiskSnapshotProvider({
      client,
      subscriptionId: env.KBACKUP_LIVE_SUBSCRIPTION_ID,
      snapshotResourceGroup: env.KBACKUP_LIVE_SNAPSHOT_RESOURCE_GROUP,
      targetResourceGroup: env.KBACKUP_LIVE_RESOURCE_GROUP,
      tags: { purpose: "kbackup-live-test" },
    });
    // Every snapshot and disk the provider makes is deleted afterwards, pass or fail.
    const track = <T extends { snapshotHandle?: string; volumeHandle?: string }>(result: T): T => {
      const id = parseComputeResourceId(result.snapshotHandle ?? result.volumeHandle);
      if (id) made.push({ kind: id.kind, group: id.resourceGroup, name: id.name });
      return result;
    };
    const createSnapshot = provider.createSnapshot.bind(provider);
    const createVolume = provider.createVolume.bind(provider);
    provider.createSnapshot = async (...args) => track(await createSnapshot(...args));
    provider.createVolume = async (...args) => track(await createVolume(...args));

    return {
      provider,
      supportedVolume: async () => {
        const name = `kbackup-live-${randomBytes(4).toString("hex")}`;
        const disk = await client.disks.createOrUpdate(env.KBACKUP_LIVE_RESOURCE_GROUP, name, {
          location: env.KBACKUP_LIVE_LOCATION,
          sku: { name: "StandardSSD_LRS" },
          creationData: { createOption: "Empty" },
          diskSizeGB: DISK_GIB,
          tags: { purpose: "kbackup-live-test" },
        });
        made.push({ kind: "disks", group: env.KBACKUP_LIVE_RESOURCE_GROUP, name });
        const persistentVolume: KubeObject = {
          apiVersion: "v1",
          kind: "PersistentVolume",
          metadata: { name },
          spec: { capacity: { storage: `${DISK_GIB}Gi` }, csi: { driver: "disk.csi.azure.com", volumeHandle: disk.id } },
        };
        // A new empty disk reads as zeros.
        return { persistentVolume, data: new Uint8Array(4096) };
      },
      unsupportedVolumes: async () => [{ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "files" }, spec: { csi: { driver: "file.csi.azure.com", volumeHandle: "rg#account#share" } } }],
      readVolume: async (volume, offset, length) => {
        const id = parseComputeResourceId(volume.volumeHandle, "disks")!;
        const access = await client.disks.grantAccess(id.resourceGroup, id.name, { access: "Read", durationInSeconds: 600 });
        try {
          return await new PageBlobClient(access.accessSAS!).downloadToBuffer(offset, length);
        } finally {
          await client.disks.revokeAccess(id.resourceGroup, id.name);
        }
      },
      cleanup: async () => {
        for (const resource of made.reverse()) {
          if (resource.kind === "snapshots") await client.snapshots.delete(resource.group, resource.name);
          else await client.disks.delete(resource.group, resource.name);
        }
      },
    };
  });
});
