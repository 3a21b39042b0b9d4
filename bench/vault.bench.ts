// The scheduler tick over many backup instances: `runDue` across INSTANCES (1000) tiny clusters
// protected by the default AKS policy, everything in memory stores. From the built packages:
// `pnpm run build:all` (or each package's build:js), then `node bench/vault.bench.ts`.
// Options by environment: INSTANCES (1000), CONCURRENCY (the vault's default, 4).
import { BackupVault, aksDefaultPolicy, type Clock } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";

const instances = Number(process.env.INSTANCES ?? 1000);
const concurrency = process.env.CONCURRENCY === undefined ? undefined : Number(process.env.CONCURRENCY);
const TARGET_MS = 2000;

/** A clock the bench moves by hand, so that every tick lands on a scheduled time. */
class BenchClock implements Clock {
  time: number;
  constructor(time: number) {
    this.time = time;
  }
  now(): Date {
    return new Date(this.time);
  }
  async sleep(): Promise<void> {}
  set(iso: string): void {
    this.time = Date.parse(iso);
  }
}

function tinyCluster(i: number, clock: Clock): MemoryCluster {
  const cluster = new MemoryCluster({ identity: { name: `aks-${i}`, id: `/clusters/aks-${i}` }, clock });
  cluster.load([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "app" }, data: { instance: String(i) } },
  ]);
  return cluster;
}

const clock = new BenchClock(Date.parse("2026-01-01T00:00:00Z"));
const store = new MemoryObjectStore({ clock });
const vault = await BackupVault.create(store, { name: "bench", clock });
await vault.createPolicy("aks", aksDefaultPolicy());
for (let i = 0; i < instances; i++) {
  // Each cluster has its own operational store, as each AKS cluster has its own snapshot resource group.
  await vault.protect({
    name: `cluster-${i}`,
    cluster: tinyCluster(i, clock),
    operationalStore: new MemoryObjectStore({ clock }),
    datasourceParameters: { snapshotVolumes: false, includedNamespaces: ["app"], includeClusterScopeResources: false },
    policyName: "aks",
  });
}

async function tick(at: string, label: string): Promise<number> {
  clock.set(at);
  const start = performance.now();
  const result = await vault.runDue(concurrency === undefined ? {} : { concurrency });
  const ms = performance.now() - start;
  if (result.errors.length > 0) throw new Error(`runDue reported ${result.errors.length} errors, the first: ${result.errors[0]?.message}`);
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  (${result.backups.length} backups, ${result.copies.length} copies, ${result.deletions.length} deletions)`);
  return ms;
}

console.log(`runDue over ${instances} instances, concurrency ${concurrency ?? "default (4)"}`);
const first = await tick("2026-01-01T01:00:00Z", "first slot: a backup each, Daily, copied");
const second = await tick("2026-01-01T05:00:00Z", "second slot: a backup each");
const idle = await tick("2026-01-01T06:00:00Z", "between slots: nothing due");
for (const time of ["09", "13", "17", "21"]) await tick(`2026-01-01T${time}:00:00Z`, `slot ${time}:00`);
const slow = Math.max(first, second);
console.log(`slowest tick ${slow.toFixed(0)} ms (target < ${TARGET_MS} ms): ${slow < TARGET_MS ? "met" : "missed"}; idle tick ${idle.toFixed(0)} ms`);
