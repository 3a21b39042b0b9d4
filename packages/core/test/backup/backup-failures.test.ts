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
