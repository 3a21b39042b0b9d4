import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { newRecoveryPointId, parseBackupDatasourceParameters, pagedIterator, runBackup, type ClusterClient, type KubeObject, type SnapshotProvider } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("a backup's memory", () => {
  it("does not hold the listed pods until the snapshots when no pod has a hook", async () => {
    const source = await sampleCluster();
    const pods: Array<WeakRef<KubeObject>> = [];
    const cluster: ClusterClient = Object.assign(Object.create(null) as ClusterClient, {
      identity: source.identity,
      capabilities: source.capabilities,
      discover: (options?: Parameters<ClusterClient["discover"]>[0]) => source.discover(options),
      get: (...args: Parameters<ClusterClient["get"]>) => source.get(...args),
      list: (resource: Parameters<ClusterClient["list"]>[0], options?: Parameters<ClusterClient["list"]>[1]) =>
        pagedIterator(async (token, maxPageSize) => {
          const page = await source.list(resource, options).byPage({ ...(token ? { continuationToken: token } : {}), ...(maxPageSize ? { maxPageSize } : {}) }).next();
          const value = page.done ? { items: [] } : page.value;
          if (resource.resource === "pods") for (const pod of value.items) pods.push(new WeakRef(pod));
          return value;
        }),
    });
    const inner = new MemorySnapshotProvider(source);
    let alive = -1;
    const provider: SnapshotProvider = {
      name: inner.name,
      capabilities: inner.capabilities,
      canSnapshot: (volume, options) => inner.canSnapshot(volume, options),
      createSnapshot: async (volume, options) => {
        if (alive < 0) {
          // A WeakRef keeps its target alive until the job that made it ends: let the jobs end first.
          await new Promise((resolve) => setImmediate(resolve));
          collectGarbage();
          alive = pods.filter((pod) => pod.deref() !== undefined).length;
        }
        return inner.createSnapshot(volume, options);
      },
      deleteSnapshot: (handle, options) => inner.deleteSnapshot(handle, options),
      createVolume: (snapshot, volume, options) => inner.createVolume(snapshot, volume, options),
      openSnapshot: (handle, options) => inner.openSnapshot(handle, options),
    };
    const { manifest } = await runBackup({
      backupInstanceName: "sample",
      recoveryPointId: newRecoveryPointId(new Date()),
      cluster,
      snapshotProvider: provider,
      store: new MemoryObjectStore(),
      instancePrefix: "",
      parameters: parseBackupDatasourceParameters({}),
    });
    expect(manifest.items.filter((item) => item.resource === "pods").length).toBeGreaterThan(5);
    expect(alive).toBe(0);
  });
});
