import { describe, expect, it } from "vitest";
import { newRecoveryPointId, parseBackupDatasourceParameters, runBackup, type Clock } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

describe("a backup on a clock whose sleep returns at once", () => {
  it("finishes: the marker heartbeat does not spin and starve the event loop", async () => {
    const frozen: Clock = { now: () => new Date("2026-06-01T00:00:00Z"), sleep: async () => undefined };
    const cluster = await sampleCluster();
    let timerFired = false;
    const probe = setTimeout(() => (timerFired = true), 0);
    const { manifest } = await runBackup({
      backupInstanceName: "frozen",
      recoveryPointId: newRecoveryPointId(frozen.now()),
      cluster,
      store: new MemoryObjectStore(),
      instancePrefix: "",
      parameters: parseBackupDatasourceParameters({ includedNamespaces: ["blog"], snapshotVolumes: false }),
      clock: frozen,
    });
    clearTimeout(probe);
    expect(manifest.items.length).toBeGreaterThan(0);
    // Macrotasks still ran during the backup.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(timerFired).toBe(true);
  });
});
