import { describe, expect, it } from "vitest";
import { BackupVault, KBackupError, collect, collectAbandonedRecoveryPoints, recoveryPointKeys, type ObjectStore, type SnapshotProvider } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock, sampleCluster } from "@kbackup/testing";

const HOUR = 60 * 60 * 1000;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const keysOf = async (store: ObjectStore) => (await collect(store.list(""))).map((info) => info.key);

/** A folder as a backup leaves it: a marker listing `snapshots`, an archive, and a manifest when committed. */
async function folder(store: ObjectStore, id: string, options: { snapshots?: string[]; committed?: boolean }) {
  const keys = recoveryPointKeys("", id);
  await store.put(keys.inProgress, encode({ recoveryPointId: id, snapshots: options.snapshots ?? [] }));
  await store.put(keys.archive, new Uint8Array(8));
  if (options.committed) await store.put(keys.manifest, encode({}));
  return keys;
}

describe("collectAbandonedRecoveryPoints", () => {
  it("removes folders without a manifest older than the window, with their snapshots, and leaves young and committed ones", async () => {
    const clock = new ManualClock();
    const store = new MemoryObjectStore({ clock });
    const deleted: string[] = [];
    const provider = { deleteSnapshot: async (handle: string) => (deleted.push(handle), true) } as unknown as SnapshotProvider;
    await folder(store, "20250101T000000000Z-00000001", { snapshots: ["s1", "s2"] });
    const committed = await folder(store, "20250101T000000000Z-00000002", { committed: true });
    clock.advance(2 * HOUR);
    const young = await folder(store, "20250101T000000000Z-00000003", { snapshots: ["s3"] });
    const removed = await collectAbandonedRecoveryPoints(store, "", { now: clock.now(), olderThanInMs: HOUR, snapshotProvider: provider });
    expect(removed).toEqual(["20250101T000000000Z-00000001"]);
    expect(deleted).toEqual(["s1", "s2"]);
    expect(await keysOf(store)).toEqual(expect.arrayContaining([committed.archive, committed.manifest, young.archive, young.inProgress]));
  });

  it("removes the stale marker a committed recovery point kept when its last clean-up failed, and nothing else of it", async () => {
    const clock = new ManualClock();
    const store = new MemoryObjectStore({ clock });
    const keys = await folder(store, "20250101T000000000Z-00000002", { committed: true, snapshots: ["kept"] });
    const deleted: string[] = [];
    const provider = { deleteSnapshot: async (handle: string) => (deleted.push(handle), true) } as unknown as SnapshotProvider;
    clock.advance(2 * HOUR);
    expect(await collectAbandonedRecoveryPoints(store, "", { now: clock.now(), olderThanInMs: HOUR, snapshotProvider: provider })).toEqual([]);
    expect(await keysOf(store)).toEqual([keys.manifest, keys.archive].sort());
    expect(deleted).toEqual([]);
  });

  it("leaves a folder whose snapshot cannot be deleted whole for a later collection, and goes on with the others", async () => {
    const clock = new ManualClock();
    const store = new MemoryObjectStore({ clock });
    const stuck = await folder(store, "20250101T000000000Z-00000001", { snapshots: ["locked"] });
    await folder(store, "20250101T000000000Z-00000002", { snapshots: ["free"] });
    const provider = {
      deleteSnapshot: async (handle: string) => {
        if (handle === "locked") throw new KBackupError("PermissionDenied", "The snapshot is locked.");
        return true;
      },
    } as unknown as SnapshotProvider;
    clock.advance(2 * HOUR);
    const removed = await collectAbandonedRecoveryPoints(store, "", { now: clock.now(), olderThanInMs: HOUR, snapshotProvider: provider });
    expect(removed).toEqual(["20250101T000000000Z-00000002"]);
    expect(await keysOf(store)).toEqual([stuck.archive, stuck.inProgress].sort());
  });

  it("does not stop the next backup when what an earlier one left cannot be collected yet", async () => {
    const source = await sampleCluster();
    const inner = new MemorySnapshotProvider(source);
    const provider: SnapshotProvider = {
      name: inner.name,
      capabilities: inner.capabilities,
      canSnapshot: (volume, options) => inner.canSnapshot(volume, options),
      createSnapshot: (volume, options) => inner.createSnapshot(volume, options),
      deleteSnapshot: async (handle, options) => {
        if (handle === "locked") throw new KBackupError("Unavailable", "The snapshot service is down.");
        return inner.deleteSnapshot(handle, options);
      },
      createVolume: (snapshot, volume, options) => inner.createVolume(snapshot, volume, options),
      openSnapshot: (handle, options) => inner.openSnapshot(handle, options),
    };
    const store = new MemoryObjectStore();
    const vault = new BackupVault({ name: "vault", abandonAfterInMs: 0 });
    const instance = await vault.protect({ name: "sample", cluster: source, snapshotProvider: provider, operationalStore: store, datasourceParameters: { includedNamespaces: ["shop"] } });
    const leftover = "backup-instances/sample/recovery-points/20260101T000000000Z-deadbeef/in-progress.json";
    await store.put(leftover, encode({ snapshots: ["locked"] }));
    const job = await instance.backupNow();
    expect(job.status, JSON.stringify(job.errorDetails)).toBe("Completed");
    expect(await store.head(leftover)).toBeDefined();
  });
});
