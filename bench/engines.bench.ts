// Backup and restore throughput on a synthetic cluster, and peak memory.
//   node bench/engines.bench.ts            all scenarios, each in its own process
//   node bench/engines.bench.ts backup     one scenario
// Options by environment: OBJECTS (100000), NAMESPACES (100), LATENCY_MS (2), SERIAL_OBJECTS (5000).
import { spawnSync } from "node:child_process";
import { BackupVault, type RestoreOptions } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";
import { syntheticCluster } from "@kbackup/testing";

const objects = Number(process.env.OBJECTS ?? 100_000);
const namespaces = Number(process.env.NAMESPACES ?? 100);
const latencyInMs = Number(process.env.LATENCY_MS ?? 2);
const serialObjects = Number(process.env.SERIAL_OBJECTS ?? 5_000);
const scenarios = ["backup", "restore", "restore-serial"] as const;
type Scenario = (typeof scenarios)[number];

const scenario = process.argv[2] as Scenario | undefined;
if (!scenario) {
  for (const name of scenarios) {
    const child = spawnSync(process.execPath, [process.argv[1]!, name], { stdio: "inherit", env: process.env });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else {
  await run(scenario);
}

async function run(name: Scenario): Promise<void> {
  const count = name === "restore-serial" ? serialObjects : objects;
  const source = await syntheticCluster({ objects: count, namespaces, objectSizeInBytes: 2048 });
  const store = new MemoryObjectStore();
  const vault = new BackupVault({ name: "bench" });
  const instance = await vault.protect({
    name: "synthetic",
    cluster: source,
    operationalStore: store,
    datasourceParameters: { snapshotVolumes: false, includeClusterScopeResources: true },
  });
  const backupStart = performance.now();
  const backup = await instance.backupNow();
  const backupSeconds = (performance.now() - backupStart) / 1000;
  if (backup.status !== "Completed") throw new Error(`backup ended ${backup.status}: ${JSON.stringify(backup.errorDetails)}`);
  const items = backup.extendedInfo.counts?.items ?? 0;
  if (name === "backup") {
    print(name, { objects: items, seconds: backupSeconds, objectsPerSecond: items / backupSeconds, archiveBytes: backup.dataTransferredInBytes ?? 0 });
    return;
  }
  const target = new MemoryCluster({ identity: { name: "target" }, latencyInMs });
  const options: RestoreOptions = { targetCluster: target, ...(name === "restore-serial" ? { concurrency: 1 } : {}) };
  const restoreStart = performance.now();
  const restore = await instance.restore(backup.extendedInfo.recoveryPointId!, {}, options);
  const restoreSeconds = (performance.now() - restoreStart) / 1000;
  const created = restore.extendedInfo.counts?.created ?? 0;
  if (restore.status !== "Completed") throw new Error(`restore ended ${restore.status}: ${JSON.stringify(restore.errorDetails?.slice(0, 3))}`);
  print(name, { objects: created, seconds: restoreSeconds, objectsPerSecond: created / restoreSeconds, latencyInMs, concurrency: name === "restore-serial" ? 1 : 16 });
}

function print(name: string, figures: Record<string, number>): void {
  const peakRssInMb = process.resourceUsage().maxRSS / 1024;
  const shown = Object.entries({ ...figures, peakRssInMb }).map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(1)}`);
  console.log(`engines ${name}: ${shown.join(" ")}`);
}
