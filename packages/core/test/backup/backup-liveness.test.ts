import { describe, expect, it } from "vitest";
import { collectAbandonedRecoveryPoints, newRecoveryPointId, parseBackupDatasourceParameters, readManifest, recoveryPointKeys, runBackup, type ObjectStore } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock, sampleCluster } from "@kbackup/testing";

const HOUR = 60 * 60 * 1000;

describe("a backup that runs longer than the abandonment window", () => {
  it("keeps its marker fresh, so that another backup's collection does not take it for abandoned", async () => {
    const clock = new ManualClock();
    const source = await sampleCluster({ clock });
    const provider = new MemorySnapshotProvider(source);
    const inner = new MemoryObjectStore({ clock });
    let collected: string[] | undefined;
    // The archive upload ends two hours after the snapshot; then another backup collects what is abandoned.
    const store: ObjectStore = {
      capabilities: inner.capabilities,
      put: async (key, body, options) => {
        const info = await inner.put(key, body, options);
        if (key.endsWith("resources.tar.gz")) {
          await clock.advance(2 * HOUR);
          collected = await collectAbandonedRecoveryPoints(inner, "", { now: clock.now(), olderThanInMs: HOUR, snapshotProvider: provider });
        }
        return info;
      },
      get: (key, options) => inner.get(key, options),
      getStream: (key, options) => inner.getStream(key, options),
      head: (key, options) => inner.head(key, options),
      list: (prefix, options) => inner.list(prefix, options),
      delete: (key, options) => inner.delete(key, options),
    };
    const id = newRecoveryPointId(clock.now());
    const { manifest } = await runBackup({
      backupInstanceName: "sample",
      recoveryPointId: id,
      cluster: source,
      snapshotProvider: provider,
      store,
      instancePrefix: "",
      parameters: parseBackupDatasourceParameters({ includedNamespaces: ["shop"] }),
      clock,
    });
    expect(collected).toEqual([]);
    expect(manifest.volumeSnapshots).toHaveLength(1);
    expect(provider.listSnapshots().map((snapshot) => snapshot.record.snapshotHandle)).toEqual([manifest.volumeSnapshots[0]!.snapshotHandle]);
    expect(await readManifest(inner, "", id)).toEqual(manifest);
    expect(await inner.head(recoveryPointKeys("", id).archive)).toBeDefined();
    // Nothing of the backup outlives it: no marker, no sleep.
    expect(await inner.head(recoveryPointKeys("", id).inProgress)).toBeUndefined();
    expect(clock.pendingSleeps).toBe(0);
  });
});
