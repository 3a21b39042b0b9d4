// Backup center queries over INSTANCES (1,000) backup instances in four vaults and JOBS (1,000,000)
// jobs, synthesized in memory and fed through the center's ingestion API (no backups are taken).
// Times a filtered page of jobs (first and deep pages), counts, an export, the protection states and
// the compliance report. From the built packages: `pnpm run build:all`, then `node bench/center.bench.ts`.
import {
  BackupCenter,
  aksDefaultPolicy,
  collect,
  defaultVaultSettings,
  type BackupJob,
  type CenterInstanceRecord,
  type JobFilter,
  type JobStatus,
  type RecoveryPointInfo,
} from "@kbackup/core";

const INSTANCES = Number(process.env.INSTANCES ?? 1000);
const JOBS = Number(process.env.JOBS ?? 1_000_000);
const VAULTS = 4;
const PAGE_TARGET_MS = 10;
const COMPLIANCE_TARGET_MS = 500;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-06-01T00:00:00Z");

/** A small deterministic generator, so that every run sees the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const rand = random(42);

const vaultOf = (i: number) => `vault-${i % VAULTS}`;
const instanceName = (i: number) => `cluster-${String(i).padStart(4, "0")}`;

function recoveryPoints(i: number): RecoveryPointInfo[] {
  const points: RecoveryPointInfo[] = [];
  // The last 7 days every 4 hours in the operational store, a daily copy in the vault store for 84 days;
  // every tenth instance stopped being backed up two days ago, every seventh lacks its last vault copies.
  const stoppedAt = i % 10 === 0 ? NOW - 2 * DAY : NOW;
  for (let t = NOW - 84 * DAY; t < stoppedAt; t += 4 * HOUR) {
    const recent = t >= NOW - 7 * DAY;
    const daily = (t - (NOW - 84 * DAY)) % DAY === 0;
    const inVault = daily && !(i % 7 === 0 && t > NOW - 3 * DAY);
    if (!recent && !inVault) continue;
    const time = new Date(t).toISOString();
    points.push({
      recoveryPointId: `${time.replace(/[-:.]/g, "")}-${(i + 0x10000000).toString(16)}`,
      recoveryPointTime: time,
      backupInstanceName: instanceName(i),
      cluster: { name: `aks-${i}` },
      itemCount: 120,
      archiveSizeInBytes: 200_000 + (i % 50) * 1000,
      volumeSnapshotCount: 1,
      volumeBytes: 8 * 1024 ** 3,
      warningCount: 0,
      tags: {},
      retentionTag: daily ? "Daily" : "Default",
      onDemand: false,
      dataStores: {
        ...(recent ? { OperationalStore: { creationTime: time, expiryTime: new Date(t + 7 * DAY).toISOString() } } : {}),
        ...(inVault ? { VaultStore: { creationTime: time, expiryTime: new Date(t + 84 * DAY).toISOString() } } : {}),
      },
      recoveryPointState: "Completed",
    });
  }
  return points;
}

function instance(i: number): CenterInstanceRecord {
  return {
    vaultName: vaultOf(i),
    name: instanceName(i),
    cluster: { name: `aks-${i}` },
    policyName: "aks",
    currentProtectionState: "ProtectionConfigured",
    protectionStatus: { status: "ProtectionConfigured" },
    protectedNamespaces: ["app", "data", "web"].slice(0, 1 + (i % 3)),
    missedScheduledCount: 0,
    recoveryPoints: recoveryPoints(i),
  };
}

function status(): JobStatus {
  const r = rand();
  return r < 0.95 ? "Completed" : r < 0.98 ? "CompletedWithWarnings" : r < 0.995 ? "Failed" : "Cancelled";
}

/**
 * JOBS jobs, oldest first: every instance backed up every 4 hours (the fleet's jobs interleaved), now
 * and then a restore; the instances that stopped getting recovery points fail their last two days' jobs.
 */
function* jobs(): Generator<BackupJob> {
  const span = Math.ceil(JOBS / INSTANCES) * 4 * HOUR;
  const step = span / JOBS;
  for (let n = 0; n < JOBS; n++) {
    const i = n % INSTANCES;
    const start = NOW - span + n * step;
    const jobStatus = i % 10 === 0 && start > NOW - 2 * DAY ? "Failed" : status();
    const restore = n % 97 === 0;
    yield {
      jobId: `job-${n.toString(36).padStart(6, "0")}`,
      operation: restore ? "Restore" : "Backup",
      operationCategory: restore ? "Restore" : "Backup",
      status: jobStatus,
      isUserTriggered: restore,
      backupInstanceFriendlyName: instanceName(i),
      dataSourceName: `aks-${i}`,
      dataSourceType: "Microsoft.ContainerService/managedClusters",
      vaultName: vaultOf(i),
      policyName: "aks",
      startTime: new Date(start).toISOString(),
      endTime: new Date(start + 90_000).toISOString(),
      duration: "00:01:30.000",
      ...(jobStatus === "Failed" ? { errorDetails: [{ code: "Unavailable", message: "The API server is unavailable." }] } : {}),
      ...(jobStatus === "CompletedWithWarnings" ? { warningDetails: [{ code: "BackupWarning", message: "A volume was skipped." }] } : {}),
      extendedInfo: { additionalDetails: {} },
    };
  }
}

function time<T>(label: string, runs: number, work: () => T): { ms: number; result: T } {
  const samples: number[] = [];
  let result!: T;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    result = work();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[Math.floor(samples.length / 2)] as number;
  console.log(`${label.padEnd(60)} ${ms.toFixed(2).padStart(9)} ms  (median of ${runs})`);
  return { ms, result };
}

async function timeAsync<T>(label: string, runs: number, work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const samples: number[] = [];
  let result!: T;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    result = await work();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[Math.floor(samples.length / 2)] as number;
  console.log(`${label.padEnd(60)} ${ms.toFixed(2).padStart(9)} ms  (median of ${runs})`);
  return { ms, result };
}

async function firstPage(center: BackupCenter, filter: JobFilter, maxPageSize = 100) {
  const page = await center.listJobs(filter).byPage({ maxPageSize }).next();
  return page.done ? { items: [] } : page.value;
}

const center = new BackupCenter({ alertsSince: new Date(NOW), clock: { now: () => new Date(NOW), sleep: async () => {} } });
const policy = aksDefaultPolicy();
time("ingest 4 vaults and the instances with their recovery points", 1, () => {
  for (let v = 0; v < VAULTS; v++) center.ingestVault({ name: `vault-${v}`, settings: defaultVaultSettings(), policies: { aks: policy } });
  for (let i = 0; i < INSTANCES; i++) center.ingestInstance(instance(i));
});
const synthesized = time(`synthesize ${JOBS.toLocaleString("en")} jobs`, 1, () => [...jobs()]).result;
time(`ingest ${JOBS.toLocaleString("en")} jobs`, 1, () => center.ingestJobs(synthesized));
synthesized.length = 0;
console.log(`heap after ingestion: ${(process.memoryUsage().heapUsed / 1024 ** 2).toFixed(0)} MiB`);

const pages: number[] = [];
pages.push((await timeAsync("page of 100, no filter", 21, () => firstPage(center, {}))).ms);
const failedBackups: JobFilter = { vaultName: "vault-2", operation: "Backup", status: "Failed", from: new Date(NOW - 90 * DAY) };
const filtered = await timeAsync("page of 100: one vault, failed backups, last 90 days", 21, () => firstPage(center, failedBackups));
pages.push(filtered.ms);
pages.push((await timeAsync("page of 100: one instance, any status", 21, () => firstPage(center, { instanceName: instanceName(123) }))).ms);
pages.push((await timeAsync("page of 100: restores with warnings, all vaults", 21, () => firstPage(center, { operation: "Restore", status: "CompletedWithWarnings" }))).ms);
const token = filtered.result.continuationToken;
if (token) {
  pages.push((await timeAsync("next page of the filtered query, by token", 21, async () => (await center.listJobs(failedBackups).byPage({ maxPageSize: 100, continuationToken: token }).next()).value)).ms);
}
await timeAsync("all pages of the filtered query", 3, async () => (await collect(center.listJobs(failedBackups))).length);
time("count by status, no filter (1M jobs scanned)", 5, () => center.countJobs());
time("job outcomes by day, one vault", 5, () => center.jobOutcomes({ vaultName: "vault-1" }));
time("CSV export: failed jobs of one vault", 3, () => center.exportJobs({ vaultName: "vault-3", status: "Failed" }, "csv").length);
time("protection states of every instance", 5, () => center.protectionStates());
const compliance = time("compliance report", 5, () => center.complianceReport());
time("usage", 5, () => center.usage());
console.log(`compliance: ${compliance.result.findings.length} findings (${JSON.stringify(compliance.result.counts)}), ${compliance.result.compliantInstances} of ${compliance.result.instancesChecked} instances compliant`);

const worstPage = Math.max(...pages);
console.log(`\nslowest first or next page: ${worstPage.toFixed(2)} ms (target ${PAGE_TARGET_MS} ms); compliance report: ${compliance.ms.toFixed(0)} ms (target ${COMPLIANCE_TARGET_MS} ms)`);
if (worstPage > PAGE_TARGET_MS || compliance.ms > COMPLIANCE_TARGET_MS) {
  console.log("over target");
  process.exitCode = 1;
}
