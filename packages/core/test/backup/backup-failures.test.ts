import { describe, expect, it } from "vitest";
import {
  KBackupError,
  collect,
  newRecoveryPointId,
  parseBackupDatasourceParameters,
  parseRestoreCriteria,
  readManifest,
  recoveryPointKeys,
  runBackup,
  runRestore,
  type BackupRequest,
  type ObjectStore,
} from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { faultyObjectStore, sampleCluster } from "@kbackup/testing";

/** A store that passes every call to `inner`, with `put` replaced. */
function withPut(inner: ObjectStore, put: ObjectStore["put"]): ObjectStore {
  return {
    capabilities: inner.capabilities,
    put,
    get: (key, options) => inner.get(key, options),
    getStream: (key, options) => inner.getStream(key, options),
    head: (key, options) => inner.head(key, options),
    list: (prefix, options) => inner.list(prefix, options),
    delete: (key, options) => inner.delete(key, options),
  };
}

async function request(store: ObjectStore, overrides: Partial<BackupRequest> = {}): Promise<BackupRequest & { provider: MemorySnapshotProvider }> {
  const cluster = await sampleCluster();
  const provider = new MemorySnapshotProvider(cluster);
  return {
    backupInstanceName: "sample",
    recoveryPointId: newRecoveryPointId(new Date()),
    cluster,
    snapshotProvider: provider,
    store,
    instancePrefix: "",
    parameters: parseBackupDatasourceParameters({ includedNamespaces: ["shop"] }),
    provider,
    ...overrides,
  };
}

const keysOf = async (store: ObjectStore) => (await collect(store.list(""))).map((info) => info.key);
const isArchive = (key: unknown) => String(key).endsWith("resources.tar.gz");

describe("a backup whose archive upload fails", () => {
  it("rejects with the store's error when the store refuses the upload, and leaves nothing", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [{ operation: "put", when: (call) => isArchive(call.args[0]), action: { fail: "PermissionDenied" } }]);
    const backup = await request(store);
    await expect(runBackup(backup)).rejects.toMatchObject({ name: "KBackupError", code: "PermissionDenied" });
    expect(await keysOf(inner)).toEqual([]);
    expect(backup.provider.listSnapshots()).toEqual([]);
  });

  it("rejects with the store's error when the upload is cut half way, and leaves nothing", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [{ operation: "put", when: (call) => isArchive(call.args[0]), action: { cutAfterBytes: 1000 } }]);
    const backup = await request(store);
    await expect(runBackup(backup)).rejects.toMatchObject({ name: "KBackupError", code: "Unavailable" });
    expect(await keysOf(inner)).toEqual([]);
  });
});

describe("a backup into a recovery point id that is taken", () => {
  it("is refused with AlreadyExists, and the committed recovery point of that id stays whole", async () => {
    const store = new MemoryObjectStore();
    const first = await request(store);
    const { manifest } = await runBackup(first);
    const before = await keysOf(store);
    await expect(runBackup({ ...first })).rejects.toMatchObject({ name: "KBackupError", code: "AlreadyExists" });
    expect(await keysOf(store)).toEqual(before);
    const read = await readManifest(store, "", first.recoveryPointId);
    expect(read).toEqual(manifest);
    const target = new MemoryCluster({ identity: { name: "target" } });
    const restored = await runRestore({
      manifest: read,
      store,
      archiveKey: recoveryPointKeys("", first.recoveryPointId).archive,
      criteria: parseRestoreCriteria({ persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }),
      targetCluster: target,
      mode: "restore",
    });
    expect(restored.items.filter((item) => item.outcome === "Failed")).toEqual([]);
    expect(restored.items.length).toBeGreaterThan(5);
  });

  it("leaves alone the folder of another backup of the same id that is still running", async () => {
    const store = new MemoryObjectStore();
    const backup = await request(store);
    const keys = recoveryPointKeys("", backup.recoveryPointId);
    const marker = new TextEncoder().encode(JSON.stringify({ recoveryPointId: backup.recoveryPointId, snapshots: ["snap-of-the-other-run"] }));
    await store.put(keys.inProgress, marker);
    await store.put(keys.archive, new Uint8Array(10));
    await expect(runBackup(backup)).rejects.toMatchObject({ name: "KBackupError", code: "AlreadyExists" });
    expect(await keysOf(store)).toEqual([keys.inProgress, keys.archive].sort());
    expect((await store.get(keys.inProgress))!.body).toEqual(marker);
  });
});

describe("a backup whose manifest write fails", () => {
  it("leaves no manifest when the write landed but its answer was lost, since it removes what the manifest names", async () => {
    const inner = new MemoryObjectStore();
    const store = withPut(inner, async (key, body, options) => {
      const info = await inner.put(key, body, options);
      if (key.endsWith("manifest.json")) throw new KBackupError("Unavailable", "The connection was reset before the answer came.");
      return info;
    });
    const backup = await request(store);
    await expect(runBackup(backup)).rejects.toMatchObject({ code: "Unavailable" });
    expect(backup.provider.listSnapshots()).toEqual([]);
    expect(await keysOf(inner)).toEqual([]);
    await expect(readManifest(inner, "", backup.recoveryPointId)).rejects.toMatchObject({ code: "NotFound" });
  });

  it("keeps the archive and snapshots when the landed manifest cannot be removed either, so what it names stays whole", async () => {
    const inner = new MemoryObjectStore();
    const broken = withPut(inner, async (key, body, options) => {
      const info = await inner.put(key, body, options);
      if (key.endsWith("manifest.json")) throw new KBackupError("Unavailable", "The connection was reset before the answer came.");
      return info;
    });
    const store: ObjectStore = {
      ...broken,
      delete: async (key, options) => {
        if (key.endsWith("manifest.json")) throw new KBackupError("Unavailable", "The store is down.");
        return inner.delete(key, options);
      },
    };
    const backup = await request(store);
    await expect(runBackup(backup)).rejects.toMatchObject({ code: "Unavailable" });
    const manifest = await readManifest(inner, "", backup.recoveryPointId);
    expect(await inner.head(recoveryPointKeys("", backup.recoveryPointId).archive)).toBeDefined();
    expect(backup.provider.listSnapshots().map((snapshot) => snapshot.record.snapshotHandle).sort()).toEqual(manifest.volumeSnapshots.map((record) => record.snapshotHandle).sort());
    expect(manifest.volumeSnapshots.length).toBeGreaterThan(0);
  });
});

describe("a backup aborted late", () => {
  it("while snapshotting removes the snapshots it took and everything it wrote", async () => {
    const store = new MemoryObjectStore();
    const controller = new AbortController();
    const backup = await request(store, {
      parameters: parseBackupDatasourceParameters({ includedNamespaces: ["shop", "analytics"] }),
      abortSignal: controller.signal,
      onProgress: (progress) => {
        if (progress.snapshotsTaken === 1) controller.abort();
      },
    });
    await expect(runBackup(backup)).rejects.toMatchObject({ code: "Aborted" });
    expect(backup.provider.listSnapshots()).toEqual([]);
    expect(await keysOf(store)).toEqual([]);
  });

  it("while the manifest is written leaves no manifest, archive or snapshot", async () => {
    const inner = new MemoryObjectStore();
    const controller = new AbortController();
    const store = withPut(inner, async (key, body, options) => {
      if (key.endsWith("manifest.json")) controller.abort();
      return inner.put(key, body, options);
    });
    const backup = await request(store, { abortSignal: controller.signal });
    await expect(runBackup(backup)).rejects.toMatchObject({ code: "Aborted" });
    expect(backup.provider.listSnapshots()).toEqual([]);
    expect(await keysOf(inner)).toEqual([]);
  });

  it("keeps its marker when the archive cannot be removed, for the next collection to find", async () => {
    const inner = new MemoryObjectStore();
    const store: ObjectStore = {
      ...withPut(inner, async (key, body, options) => {
        if (key.endsWith("manifest.json")) throw new KBackupError("Unavailable", "The store is down.");
        return inner.put(key, body, options);
      }),
      delete: async (key, options) => {
        if (isArchive(key)) throw new KBackupError("Unavailable", "The store is down.");
        return inner.delete(key, options);
      },
    };
    const backup = await request(store);
    await expect(runBackup(backup)).rejects.toMatchObject({ code: "Unavailable" });
    const keys = recoveryPointKeys("", backup.recoveryPointId);
    expect((await keysOf(inner)).sort()).toEqual([keys.archive, keys.inProgress].sort());
    expect(backup.provider.listSnapshots()).toEqual([]);
  });
});
