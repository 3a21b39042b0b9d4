import { describe, expect, it } from "vitest";
import { KBackupError, STAGING_FOLDER, type SnapshotProvider } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { faultyObjectStore } from "@kbackup/testing";
import { emptyCluster, keysOf, SOURCE, STAGING_CRITERIA, tick, vaultTierSetup, type VaultTierSetup } from "./vault-tier-fixtures.js";

async function copied(): Promise<{ setup: VaultTierSetup; id: string }> {
  const setup = await vaultTierSetup({ shrink: 4 });
  const [id] = await tick(setup, "2026-01-01T00:00:00Z");
  return { setup, id: id! };
}

function target(setup: VaultTierSetup) {
  const cluster = emptyCluster(setup.clock, { ...SOURCE, name: "restored", id: "/clusters/restored" });
  return { cluster, provider: new MemorySnapshotProvider(cluster) };
}

/** A staging provider that runs `onStaged` after each snapshot it makes from data, and can fail its volumes. */
function watched(provider: MemorySnapshotProvider, hooks: { onStaged?: (count: number) => void; failVolume?: (count: number) => boolean }): SnapshotProvider {
  let staged = 0;
  let volumes = 0;
  return {
    name: provider.name,
    capabilities: provider.capabilities,
    canSnapshot: (...args) => provider.canSnapshot(...args),
    createSnapshot: (...args) => provider.createSnapshot(...args),
    deleteSnapshot: (...args) => provider.deleteSnapshot(...args),
    openSnapshot: (...args) => provider.openSnapshot(...args),
    createVolume: async (...args) => {
      if (hooks.failVolume?.(++volumes)) throw new KBackupError("Unavailable", "The disk service is unavailable.");
      return provider.createVolume(...args);
    },
    createSnapshotFromData: async (...args) => {
      const record = await provider.createSnapshotFromData(...args);
      hooks.onStaged?.(++staged);
      return record;
    },
  };
}

describe("a restore from the vault store's repository", () => {
  it("stages the archive and the volumes, names the staging resources the criteria give, and removes them once done", async () => {
    const { setup, id } = await copied();
    const { cluster, provider } = target(setup);
    const staging = new MemoryObjectStore();
    const seen: { objects: Array<{ key: string; metadata?: Record<string, string> }>; tags: Array<Record<string, string>> } = { objects: [], tags: [] };
    const spy = watched(provider, {
      onStaged: () => {
        seen.tags = provider.listSnapshots().map((snapshot) => snapshot.tags);
      },
    });
    const originalPut = staging.put.bind(staging);
    staging.put = async (key, body, options) => {
      seen.objects.push({ key, ...(options?.metadata ? { metadata: options.metadata } : {}) });
      return originalPut(key, body, options);
    };
    const job = await setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: cluster, targetSnapshotProvider: spy, stagingStore: staging, dataStore: "VaultStore" });
    expect(job.status).toBe("Completed");
    expect(seen.objects).toHaveLength(1);
    expect(seen.objects[0]!.key.startsWith(STAGING_FOLDER)).toBe(true);
    expect(seen.objects[0]!.metadata).toMatchObject({ staging_resource_group_id: STAGING_CRITERIA.stagingResourceGroupId, staging_storage_account_id: STAGING_CRITERIA.stagingStorageAccountId });
    expect(seen.tags.length).toBeGreaterThan(0);
    expect(seen.tags[0]).toMatchObject({ staging_resource_group_id: STAGING_CRITERIA.stagingResourceGroupId });
    expect(await keysOf(staging, "")).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
  });

  it("removes the staged objects and snapshots when the restore is aborted half way", async () => {
    const { setup, id } = await copied();
    const { cluster, provider } = target(setup);
    const staging = new MemoryObjectStore();
    const controller = new AbortController();
    const spy = watched(provider, { onStaged: () => controller.abort() });
    await expect(setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: cluster, targetSnapshotProvider: spy, stagingStore: staging, dataStore: "VaultStore", abortSignal: controller.signal })).rejects.toMatchObject({ code: "Aborted" });
    expect(await keysOf(staging, "")).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
    expect(setup.vault.listJobs().find((job) => job.operationCategory === "Restore")?.status).toBe("Cancelled");
  });

  it("removes the staged objects and snapshots when making a volume fails", async () => {
    const { setup, id } = await copied();
    const { cluster, provider } = target(setup);
    const staging = new MemoryObjectStore();
    const job = await setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: cluster, targetSnapshotProvider: watched(provider, { failVolume: (count) => count === 2 }), stagingStore: staging, dataStore: "VaultStore" });
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.some((detail) => detail.message.includes("disk service is unavailable"))).toBe(true);
    expect(await keysOf(staging, "")).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
  });

  it("fails and leaves nothing staged when the staging store breaks while the archive is staged", async () => {
    const { setup, id } = await copied();
    const { cluster, provider } = target(setup);
    const inner = new MemoryObjectStore();
    const staging = faultyObjectStore(inner, [{ operation: "put", action: { cutAfterBytes: 100 } }]);
    const job = await setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: cluster, targetSnapshotProvider: provider, stagingStore: staging, dataStore: "VaultStore" });
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]?.code).toBe("Unavailable");
    expect(await keysOf(inner, "")).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
  });

  it("plans a restore by staging the archive in this process, with no staging store or provider given", async () => {
    const { setup, id } = await copied();
    const { cluster } = target(setup);
    const plan = await setup.instance.planRestore(id, STAGING_CRITERIA, { targetCluster: cluster, dataStore: "VaultStore" });
    expect(plan.items.filter((item) => item.kind === "PersistentVolumeClaim").map((item) => item.name).sort()).toEqual(["random", "text", "zeros"]);
  });

  it("refuses a staging provider that cannot make snapshots from data before anything is restored", async () => {
    const { setup, id } = await copied();
    const { cluster, provider } = target(setup);
    const unable = { ...watched(provider, {}), createSnapshotFromData: undefined } as SnapshotProvider;
    const job = await setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: cluster, targetSnapshotProvider: provider, stagingSnapshotProvider: unable, dataStore: "VaultStore", skipValidation: true });
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("stagingSnapshotProvider") });
    expect(await cluster.get({ group: "", version: "v1", resource: "namespaces" }, "data")).toBeUndefined();
  });
});
