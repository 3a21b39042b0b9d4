import { describe, expect, it } from "vitest";
import { newRecoveryPointId, parseBackupDatasourceParameters, runBackup, type Clock } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

describe("a backup on a clock whose sleep returns at once", () => {
  it("finishes: the marker heartbeat does not spin and starve the event loop", async () => {
    const frozen: Clock = { now: () => new Date("2026-06-01T00:00:00Z"), sleep: async () => undefined };
    const cluster = await sampleCluster();
    const { manifest } = await runBackup({
      backupInstanceName: "frozen",
      recoveryPointId: newRecoveryPointId(frozen.now()),
      cluster,
      store: new MemoryObjectStore(),
      instancePrefix: "",
      parameters: parseBackupDatasourceParameters({ includedNamespaces: ["blog"], snapshotVolumes: false }),
      clock: frozen,
    });
    expect(manifest.items.length).toBeGreaterThan(0);
  }, 15_000);
});
