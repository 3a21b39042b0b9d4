// Backup and restore throughput on a synthetic cluster, and peak memory.
//   node bench/engines.bench.ts            all scenarios, each in its own process
//   node bench/engines.bench.ts backup     one scenario
// Options by environment: OBJECTS (100000), NAMESPACES (100), LATENCY_MS (2), SERIAL_OBJECTS (5000),
// STORE (fs: a temporary directory, the embedded default; or memory).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSystemObjectStore } from "@kbackup/adapter-fs";
import { newRecoveryPointId, parseBackupDatasourceParameters, parseRestoreCriteria, runBackup, runRestore } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";
import { syntheticCluster } from "@kbackup/testing";

const objects = Number(process.env.OBJECTS ?? 100_000);
const namespaces = Number(process.env.NAMESPACES ?? 100);
const latencyInMs = Number(process.env.LATENCY_MS ?? 2);
const serialObjects = Number(process.env.SERIAL_OBJECTS ?? 5_000);
const storeKind = process.env.STORE ?? "fs";
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
  const source = syntheticCluster({ objects: count, namespaces, objectSizeInBytes: 2048 });
  // The embedded default stores on disk; STORE=memory keeps the archive in this process instead.
  const storeRoot = mkdtempSync(join(tmpdir(), "kbackup-bench-"));
  const store = storeKind === "memory" ? new MemoryObjectStore() : new FileSystemObjectStore({ root: storeRoot });
  process.on("exit", () => rmSync(storeRoot, { recursive: true, force: true }));
  const recoveryPointId = newRecoveryPointId(new Date());
  const baselineInMb = process.memoryUsage().rss / 1024 / 1024;
  const backupStart = performance.now();
  const { manifest, keys } = await runBackup({
    backupInstanceName: "synthetic",
    recoveryPointId,
    cluster: source,
    store,
    instancePrefix: "",
    parameters: parseBackupDatasourceParameters({ snapshotVolumes: false }),
  });
  const backupSeconds = (performance.now() - backupStart) / 1000;
  const items = manifest.items.length;
  if (name === "backup") {
    print(name, { objects: items, seconds: backupSeconds, objectsPerSecond: items / backupSeconds, archiveBytes: manifest.archive.sizeInBytes }, baselineInMb);
    return;
  }
  const target = new MemoryCluster({ identity: { name: "target" }, latencyInMs });
  const concurrency = name === "restore-serial" ? 1 : 16;
  const restoreStart = performance.now();
  const outcome = await runRestore({
    manifest,
    store,
    archiveKey: keys.archive,
    criteria: parseRestoreCriteria({}),
    targetCluster: target,
    mode: "restore",
    concurrency,
  });
  const restoreSeconds = (performance.now() - restoreStart) / 1000;
  const created = outcome.items.filter((item) => item.outcome === "Created").length;
  const failed = outcome.items.filter((item) => item.outcome === "Failed");
  if (failed.length > 0) throw new Error(`${failed.length} items failed, e.g. ${JSON.stringify(failed[0])}`);
  print(name, { objects: created, seconds: restoreSeconds, objectsPerSecond: created / restoreSeconds, latencyInMs, concurrency }, baselineInMb);
}

// The synthetic cluster and the memory store live in this process too: the baseline is the RSS
// with the source cluster loaded, before the engine starts.
function print(name: string, figures: Record<string, number>, baselineInMb: number): void {
  const peakRssInMb = process.resourceUsage().maxRSS / 1024;
  const shown = Object.entries({ ...figures, baselineRssInMb: baselineInMb, peakRssInMb }).map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(1)}`);
  console.log(`engines ${name}: ${shown.join(" ")}`);
}
