import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collect, type BackupJob, type KubeObject, type RecoveryPointInfo } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { LocalSnapshotStorage, sampleCluster, startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kbackup } from "./run-cli.js";

// The demo from a terminal: the sample cluster served over HTTPS, backed up into a folder, its blog
// namespace restored under a new name into a second cluster, then the jobs, a verification, the
// report and a cost estimate. The two servers share their snapshot storage, as two clusters in one
// subscription share disk snapshots.
let source: LocalApiServer;
let target: LocalApiServer;
let targetCluster: MemoryCluster;
let directory: string;
let global: string[];

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };

beforeAll(async () => {
  const storage = new LocalSnapshotStorage();
  source = await startLocalApiServer({ cluster: await sampleCluster(), snapshotStorage: storage });
  targetCluster = new MemoryCluster({ identity: { name: "aks-target" } });
  target = await startLocalApiServer({ cluster: targetCluster, snapshotStorage: storage, contextName: "aks-target" });
  directory = await mkdtemp(join(tmpdir(), "kbackup-cli-demo-"));
  global = ["--store", `file://${join(directory, "store")}`, "--vault", "demo"];
});

afterAll(async () => {
  await source?.stop();
  await target?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("kbackup against a local API server and a folder", () => {
  let recoveryPointId: string;

  it("backs up two namespaces, making the vault and the instance on first use", async () => {
    const run = await kbackup([...global, "--kubeconfig", source.kubeconfigPath, "backup", "--instance", "sample", "--include-namespaces", "shop,blog"]);
    expect(run.stderr).toBe("Protecting cluster aks-sample as backup instance sample in vault demo.\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^status\s+Completed$/m);
    expect(run.stdout).toMatch(/^volumeSnapshots\s+1$/m);
    recoveryPointId = /^recovery point\s+(\S+)$/m.exec(run.stdout)?.[1] ?? "";
    expect(recoveryPointId).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/);
  });

  it("backs up every namespace under a policy as a second instance, completing with warnings (exit 2)", async () => {
    const run = await kbackup([...global, "--kubeconfig", source.kubeconfigPath, "--json", "backup", "--instance", "everything", "--policy", "default"]);
    expect(run.code).toBe(2);
    const job = JSON.parse(run.stdout) as BackupJob;
    expect(job).toMatchObject({ operation: "Backup", status: "CompletedWithWarnings", vaultName: "demo", backupInstanceFriendlyName: "everything", policyName: "default" });
    // Azure Files has no VolumeSnapshotClass in the sample cluster.
    expect(job.warningDetails?.some((warning) => warning.message.includes("file.csi.azure.com"))).toBe(true);
  });

  it("lists the instances and their recovery points", async () => {
    const instances = await kbackup([...global, "list"]);
    expect(instances.code).toBe(0);
    expect(instances.stdout).toMatch(/^instance\s+cluster\s+policy\s+protection\s+last backup\s+status\s+operational\s+vault\s+namespaces$/m);
    expect(instances.stdout).toMatch(/^everything\s+aks-sample\s+default\s+ProtectionConfigured\s+\S+\s+CompletedWithWarnings\s+1\s+0\s+\S*analytics\S*shop/m);
    expect(instances.stdout).toMatch(/^sample\s+aks-sample\s+-\s+ProtectionConfigured\s+\S+\s+Completed\s+1\s+0\s+blog,shop$/m);
    const points = await kbackup([...global, "--json", "list", "recovery-points", "--instance", "sample"]);
    const parsed = JSON.parse(points.stdout) as RecoveryPointInfo[];
    expect(parsed.map((point) => [point.recoveryPointId, point.volumeSnapshotCount, Object.keys(point.dataStores)])).toEqual([[recoveryPointId, 1, ["OperationalStore"]]]);
  });

  it("plans the restore into the second cluster without writing to it", async () => {
    const run = await kbackup([...global, "--kubeconfig", target.kubeconfigPath, "plan-restore", "--instance", "sample", "--include-namespaces", "blog", "--namespace-mapping", "blog=blog-restored"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`from recovery point ${recoveryPointId}`);
    expect(run.stdout).toMatch(/^Created\s+Namespace\s+blog-restored/m);
    expect(run.stdout).toMatch(/^Created\s+ConfigMap\s+blog-restored\/\S+ \(from blog\)/m);
    const names = (await collect(targetCluster.list(NAMESPACES))).map((object: KubeObject) => object.metadata.name);
    expect(names).not.toContain("blog-restored");
  });

  it("restores the blog namespace under a new name into the second cluster", async () => {
    const run = await kbackup([...global, "--kubeconfig", target.kubeconfigPath, "restore", "--instance", "sample", "--include-namespaces", "blog", "--namespace-mapping", "blog=blog-restored"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^operation\s+Restore$/m);
    expect(run.stdout).toMatch(/^status\s+Completed$/m);
    expect(run.stdout).toMatch(/^failed\s+0$/m);
    expect(run.stdout).toMatch(/cluster\s+aks-target/);
    const names = (await collect(targetCluster.list(NAMESPACES))).map((object: KubeObject) => object.metadata.name);
    expect(names).toContain("blog-restored");
    expect(names).not.toContain("blog");
    const configMaps = await collect(targetCluster.list({ group: "", version: "v1", resource: "configmaps" }, { namespace: "blog-restored" }));
    expect(configMaps.length).toBeGreaterThan(0);
  });

  it("lists the jobs, as a table, as CSV and filtered", async () => {
    const table = await kbackup([...global, "jobs"]);
    expect(table.code).toBe(0);
    const rows = table.stdout.split("\n").filter((line) => /^\d{4}-/.test(line));
    expect(rows.map((line) => line.split(/\s+/)[1])).toEqual(["Restore", "Backup", "Backup"]);
    const csv = await kbackup([...global, "jobs", "--csv"]);
    expect(csv.stdout.split("\r\n")[0]).toBe("jobId,vaultName,backupInstanceFriendlyName,dataSourceName,operation,status,isUserTriggered,policyName,startTime,endTime,duration,dataTransferredInBytes,recoveryPointId,errorCodes,errorMessages,warningCount");
    expect(csv.stdout.split("\r\n").filter(Boolean)).toHaveLength(4);
    expect(csv.stdout).toContain(`,${recoveryPointId},`);
    const none = await kbackup([...global, "jobs", "--status", "failed"]);
    expect(none.stdout).toBe("No jobs match.\n");
    const backups = await kbackup([...global, "--json", "jobs", "--operation", "Backup", "--since", "1h"]);
    expect((JSON.parse(backups.stdout) as BackupJob[]).map((job) => job.backupInstanceFriendlyName)).toEqual(["everything", "sample"]);
  });

  it("verifies every recovery point's manifest and checksums", async () => {
    const run = await kbackup([...global, "verify", "--recovery-point", "all"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^sample\\s+${recoveryPointId}\\s+OperationalStore\\s+OK`, "m"));
    expect(run.stdout).toContain("2 copies verified.");
  });

  it("reports protection, compliance findings and usage, exiting 2 for the findings", async () => {
    const run = await kbackup([...global, "report"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Compliance: 1 of 2 instances compliant; 0 critical, 3 warning, 0 info findings/);
    expect(run.stdout).toMatch(/^Warning\s+ImmutabilityDisabled\s+demo\s+/m);
    expect(run.stdout).toMatch(/^Warning\s+NotGeoRedundant\s+demo\s+/m);
    expect(run.stdout).toMatch(/^Warning\s+JobWarnings\s+everything\s+.*file\.csi\.azure\.com/m);
    const html = await kbackup([...global, "report", "--html", "report.html"], { cwd: directory });
    expect(html.code).toBe(2);
    expect(html.stderr).toBe(`Wrote the HTML report to ${join(directory, "report.html")}.\n`);
    const page = await readFile(join(directory, "report.html"), "utf8");
    expect(page).toMatch(/<svg id="job-outcomes"[^>]* data-total="3"/);
    expect(page.match(/<circle class="point"[^>]*data-store="OperationalStore"/g)).toHaveLength(2);
    expect(page).not.toMatch(/<(link|img|script) [^>]*(src|href)=/);
    const json = JSON.parse((await kbackup([...global, "--json", "report"])).stdout) as { usage: { totals: { operationalStore: { recoveryPoints: number }; namespacesProtected: number } } };
    expect(json.usage.totals.operationalStore.recoveryPoints).toBe(2);
    expect(json.usage.totals.namespacesProtected).toBeGreaterThan(4);
  });

  it("estimates the cost with the example prices, showing the arithmetic", async () => {
    const run = await kbackup([...global, "cost"]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe("EXAMPLE PRICES, not real ones: pass --prices FILE with your own table for a real estimate.");
    expect(run.stdout).toContain("demo/sample\n  2 namespaces × 1.00 = 2.00\n");
    expect(run.stdout).toMatch(/ {2}\d+\.\d\d GB snapshots × 0\.05 = \d+\.\d\d\n/);
    expect(run.stdout).toContain("  0.00 GB vault store LRS × 0.02 = 0.00\n");
  });
});
