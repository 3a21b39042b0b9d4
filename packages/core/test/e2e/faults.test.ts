import { describe, expect, it } from "vitest";
import { BackupVault, collect, type ObjectStore } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { faultyCluster, faultyObjectStore, sampleCluster, syntheticCluster } from "@kbackup/testing";
import { CONFIGMAPS, backupOk, names, protectSample, results } from "./helpers.js";

async function recoveryPoints(instance: Awaited<ReturnType<typeof protectSample>>["instance"]) {
  return collect(instance.listRecoveryPoints());
}

describe("a backup that fails or is aborted leaves no recovery point, and the next one succeeds", () => {
  it("when the archive upload is cut", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [{ operation: "put", when: (call) => String(call.args[0]).endsWith("resources.tar.gz"), action: { cutAfterBytes: 1000 } }]);
    const { instance, provider } = await protectSample({ includedNamespaces: ["shop"] }, store);
    const failed = await instance.backupNow();
    expect(failed.status).toBe("Failed");
    expect(await recoveryPoints(instance)).toEqual([]);
    expect(await collect(inner.list(""))).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
    const ok = await backupOk(instance);
    expect((await recoveryPoints(instance)).map((point) => point.recoveryPointId)).toEqual([ok.extendedInfo.recoveryPointId]);
  });

  it("when the manifest cannot be written, after the snapshots were taken", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [{ operation: "put", when: (call) => String(call.args[0]).endsWith("manifest.json"), action: { fail: "Unavailable" } }]);
    const { instance, provider } = await protectSample({ includedNamespaces: ["shop"] }, store);
    const failed = await instance.backupNow();
    expect(failed.status).toBe("Failed");
    expect(failed.errorDetails?.[0]?.code).toBe("Unavailable");
    expect(await recoveryPoints(instance)).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
    expect(await collect(inner.list(""))).toEqual([]);
    await backupOk(instance);
  });

  it("when aborted in the middle", async () => {
    const inner = new MemoryObjectStore();
    const controller = new AbortController();
    let items = 0;
    const { instance } = await protectSample({}, inner);
    const attempt = instance.backupNow({
      abortSignal: controller.signal,
      onProgress: (progress) => {
        items = progress.itemsBackedUp;
        if (progress.itemsBackedUp > 5) controller.abort();
      },
    });
    await expect(attempt).rejects.toMatchObject({ name: "KBackupError", code: "Aborted" });
    expect(items).toBeGreaterThan(5);
    expect(await recoveryPoints(instance)).toEqual([]);
    expect(await collect(inner.list(""))).toEqual([]);
    await backupOk(instance);
  });

  it("when the process dies: the next backup collects what was left", async () => {
    const store = new MemoryObjectStore();
    const { instance } = await protectSample({ includedNamespaces: ["blog"] }, store);
    const folder = "backup-instances/sample/recovery-points/20260101T000000000Z-deadbeef/";
    await store.put(folder + "in-progress.json", new TextEncoder().encode(JSON.stringify({ snapshots: [] })));
    await store.put(folder + "resources.tar.gz", new Uint8Array(100));
    expect(await recoveryPoints(instance)).toEqual([]);
    await backupOk(instance);
    const keys = (await collect(store.list(""))).map((info) => info.key);
    expect(keys.some((key) => key.startsWith(folder))).toBe(false);
    expect(await recoveryPoints(instance)).toHaveLength(1);
  });
});

describe("listing faults", () => {
  async function protectSynthetic(plan: Parameters<typeof faultyCluster>[1]) {
    const inner = await syntheticCluster({ objects: 1_200, namespaces: 3, objectSizeInBytes: 512 });
    const cluster = faultyCluster(inner, plan);
    const vault = new BackupVault({ name: "vault" });
    const instance = await vault.protect({ name: "synthetic", cluster, operationalStore: new MemoryObjectStore(), datasourceParameters: { snapshotVolumes: false } });
    return { inner, cluster, instance };
  }

  it.each([["Throttled"], ["Unavailable"]] as const)("retries a page that fails with %s and backs up every object once", async (code) => {
    const { inner, instance } = await protectSynthetic([{ operation: "list", nth: 2, times: 2, action: { fail: code } }]);
    const job = await instance.backupNow();
    expect(job.status, JSON.stringify(job.errorDetails)).toBe("Completed");
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const expected = (await names(inner, CONFIGMAPS)).length;
    const paths = manifest.items.filter((item) => item.resource === "configmaps").map((item) => item.path);
    expect(paths).toHaveLength(expected);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it("restarts a list whose continuation token expired, without duplicates", async () => {
    const { inner, instance } = await protectSynthetic([{ operation: "list", nth: 3, action: { fail: "Expired" } }]);
    const job = await instance.backupNow();
    expect(job.status, JSON.stringify(job.errorDetails)).toBe("Completed");
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const paths = manifest.items.map((item) => item.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(manifest.items.filter((item) => item.resource === "configmaps")).toHaveLength((await names(inner, CONFIGMAPS)).length);
  });

  it("fails the backup, with no recovery point, when a page keeps failing", async () => {
    const { instance } = await protectSynthetic([{ operation: "list", nth: 2, times: Number.POSITIVE_INFINITY, action: { fail: "Unavailable" } }]);
    const job = await instance.backupNow();
    expect(job.status).toBe("Failed");
    expect(await collect(instance.listRecoveryPoints())).toEqual([]);
  });
});

describe("a restore that dies half way", () => {
  it("can be run again and finishes, the items it had made skipped", async () => {
    const source = await sampleCluster();
    const store: ObjectStore = new MemoryObjectStore();
    const vault = new BackupVault({ name: "vault" });
    const instance = await vault.protect({ name: "sample", cluster: source, snapshotProvider: new MemorySnapshotProvider(source), operationalStore: store, datasourceParameters: { includedNamespaces: ["shop", "blog"] } });
    const id = (await backupOk(instance)).extendedInfo.recoveryPointId!;
    const inner = new MemoryCluster({ identity: { name: "target" } });
    const controller = new AbortController();
    const dying = faultyCluster(inner, [{ operation: "create", nth: 12, action: { hang: true } }]);
    const first = instance.restore(id, { includeClusterScopeResources: false, persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }, { targetCluster: dying, abortSignal: controller.signal, concurrency: 2 });
    setTimeout(() => controller.abort(), 50);
    await expect(first).rejects.toMatchObject({ code: "Aborted" });
    const madeBefore = (await names(inner, CONFIGMAPS)).length;
    const second = await instance.restore(id, { includeClusterScopeResources: false, persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }, { targetCluster: inner });
    expect(second.status, JSON.stringify(second.errorDetails)).toBe("Completed");
    const skipped = results(second).filter((item) => item.outcome === "Skipped");
    expect(skipped.length).toBeGreaterThan(0);
    expect(await names(inner, CONFIGMAPS)).toEqual((await names(source, CONFIGMAPS)).filter((name) => name.startsWith("shop/") || name.startsWith("blog/")));
    expect(madeBefore).toBeLessThanOrEqual((await names(inner, CONFIGMAPS)).length);
  });
});
