// The kbackup demo: a sample cluster in memory, a backup of two namespaces to a local directory,
// the namespaces deleted, and a restore to another cluster with one namespace mapped to a new name.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackupVault } from "@kbackup/core";
import { MemoryCluster, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { FileSystemObjectStore } from "@kbackup/adapter-fs";
import { sampleCluster } from "@kbackup/testing";

const interactive = process.stdout.isTTY;
const storeDir = process.env.KBACKUP_DEMO_STORE ?? mkdtempSync(join(tmpdir(), "kbackup-demo-"));
const keepStore = Boolean(process.env.KBACKUP_DEMO_STORE);
const timings = {};

function progressBar(label, done, total) {
  if (!interactive) return;
  const width = 30;
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  process.stdout.write(`\r${label.padEnd(10)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}   `);
}

async function timed(name, step) {
  const start = performance.now();
  const result = await step();
  timings[name] = performance.now() - start;
  if (interactive) process.stdout.write("\n");
  return result;
}

const source = await sampleCluster();
const target = new MemoryCluster({ identity: { name: "aks-dr", region: "westeurope" } });
const snapshots = new MemorySnapshotProvider(source);
const store = new FileSystemObjectStore({ root: storeDir });
const vault = new BackupVault({ name: "demo-vault" });

console.log(`kbackup demo: cluster ${source.identity.name}, store ${storeDir}`);
const instance = await vault.protect({
  name: "shop-and-blog",
  cluster: source,
  snapshotProvider: snapshots,
  operationalStore: store,
  datasourceParameters: { includedNamespaces: ["shop", "blog"], snapshotVolumes: true, includeClusterScopeResources: true },
});

const backup = await timed("backup", () =>
  instance.backupNow({ onProgress: (p) => progressBar(p.phase, p.itemsBackedUp, p.itemsBackedUp) }),
);
if (backup.status !== "Completed" && backup.status !== "CompletedWithWarnings") {
  console.error(`The backup ended ${backup.status}:`, backup.errorDetails);
  process.exit(1);
}
const recoveryPointId = backup.extendedInfo.recoveryPointId;
const manifest = await instance.getRecoveryPoint(recoveryPointId);

await timed("delete", async () => {
  for (const name of ["shop", "blog"]) await source.delete({ group: "", version: "v1", resource: "namespaces" }, name);
});

const restore = await timed("restore", () =>
  instance.restore(
    recoveryPointId,
    { namespaceMappings: { blog: "blog-restored" }, conflictPolicy: "Skip", persistentVolumeRestoreMode: "RestoreWithVolumeData" },
    {
      targetCluster: target,
      targetSnapshotProvider: snapshots.forCluster(target),
      onProgress: (p) => progressBar("restore", p.itemsProcessed, p.itemsConsidered),
    },
  ),
);

const byKind = new Map();
for (const item of manifest.items) {
  const row = byKind.get(item.kind) ?? { kind: item.kind, backedUp: 0, bytes: 0, restored: 0 };
  row.backedUp++;
  row.bytes += item.sizeInBytes;
  byKind.set(item.kind, row);
}
for (const item of restore.extendedInfo.itemResults ?? []) {
  if (item.outcome !== "Created") continue;
  const row = byKind.get(item.kind) ?? { kind: item.kind, backedUp: 0, bytes: 0, restored: 0 };
  row.restored++;
  byKind.set(item.kind, row);
}
console.log("\nItems by kind");
console.table([...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind)));
const counts = restore.extendedInfo.counts ?? {};
console.log("Summary");
console.table({
  "recovery point": { value: recoveryPointId },
  "items backed up": { value: manifest.items.length },
  "archive bytes": { value: manifest.archive.sizeInBytes },
  "uncompressed bytes": { value: manifest.archive.uncompressedSizeInBytes },
  "volume snapshots": { value: manifest.volumeSnapshots.length },
  "volumes skipped": { value: manifest.skippedVolumes.length },
  "restored (created)": { value: counts.created ?? 0 },
  "restore failures": { value: counts.failed ?? 0 },
  "backup ms": { value: Math.round(timings.backup) },
  "restore ms": { value: Math.round(timings.restore) },
});
const restoredNamespaces = [];
for await (const ns of target.list({ group: "", version: "v1", resource: "namespaces" })) restoredNamespaces.push(ns.metadata.name);
console.log(`Namespaces in ${target.identity.name}: ${restoredNamespaces.join(", ")}`);
console.log(`Backup ${backup.status}, restore ${restore.status}.`);
if (!keepStore) rmSync(storeDir, { recursive: true, force: true });
process.exit(restore.status === "Completed" || restore.status === "CompletedWithWarnings" ? 0 : 1);
