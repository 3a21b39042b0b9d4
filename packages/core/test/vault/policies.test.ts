import { readFileSync } from "node:fs";
import { BackupVault, aksDefaultPolicy, collect, isKBackupError } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { describe, expect, it } from "vitest";
import { BLOG_ONLY, gfsPolicy, memoryVault, namespaceCluster, policyFixture } from "./helpers.js";

async function rejection(promise: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isKBackupError(error)) return { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("policies in a vault", () => {
  it("accepts Azure's default AKS policy exactly as Azure's documentation gives it, and Azure's resource envelope", async () => {
    const { vault } = await memoryVault("2026-01-01T00:00:00Z");
    const azureDefault = JSON.parse(readFileSync(new URL("../policy/fixtures/aks-default-policy.json", import.meta.url), "utf8"));
    const policy = await vault.createPolicy("AKSPolicy1", azureDefault);
    expect(policy.policyRules.map((rule) => rule.name)).toEqual(["BackupHourly", "Default"]);
    await vault.createPolicy("gfs", policyFixture("gfs-policy.json"));
    expect(vault.listPolicies().map((entry) => entry.name)).toEqual(["AKSPolicy1", "gfs"]);
    expect(vault.getPolicy("gfs")?.policyRules).toHaveLength(6);
    expect(vault.getPolicy("missing")).toBeUndefined();
  });

  it("refuses a bad policy with every fault, a bad name, and a name taken", async () => {
    const { vault } = await memoryVault("2026-01-01T00:00:00Z");
    const broken = aksDefaultPolicy() as unknown as { policyRules: Array<{ trigger?: { schedule: { repeatingTimeIntervals: string[] } } }> };
    broken.policyRules[0]!.trigger!.schedule.repeatingTimeIntervals = ["R/2026-01-01T00:00:00+00:00/PT5H"];
    expect(await rejection(vault.createPolicy("broken", broken))).toMatchObject({ code: "InvalidArgument", field: "policyRules[0].trigger.schedule.repeatingTimeIntervals[0]" });
    expect(await rejection(vault.createPolicy("no/slash", aksDefaultPolicy()))).toMatchObject({ code: "InvalidArgument", field: "name" });
    await vault.createPolicy("p", aksDefaultPolicy());
    expect(await rejection(vault.createPolicy("p", aksDefaultPolicy()))).toMatchObject({ code: "AlreadyExists", field: "name" });
    expect(vault.listPolicies()).toHaveLength(1);
  });
});

describe("protecting clusters", () => {
  it("protects a cluster once per policy in a vault, and again with another policy or in another vault", async () => {
    const { clock, store, operational, vault } = await memoryVault("2026-01-01T00:00:00Z");
    await vault.createPolicy("daily", gfsPolicy());
    await vault.createPolicy("aks", aksDefaultPolicy());
    const cluster = namespaceCluster("blog", { clock });
    const first = await vault.protect({ name: "blog-daily", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "daily" });
    expect(first.protectionStatus).toEqual({ status: "ProtectionConfigured" });
    expect(first.properties).toMatchObject({ objectType: "BackupInstance", dataSourceInfo: { resourceName: "aks-blog", resourceID: "/clusters/aks-blog" }, policyInfo: { policyId: "vault/backupPolicies/daily" } });

    const again = await rejection(vault.protect({ name: "blog-again", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "daily" }));
    expect(again).toMatchObject({ code: "AlreadyExists", field: "cluster" });
    expect(again.message).toContain("blog-daily");
    // A twin cluster object with the same identity is the same cluster.
    const twin = namespaceCluster("blog", { clock });
    expect(await rejection(vault.protect({ name: "blog-twin", cluster: twin, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "daily" }))).toMatchObject({ code: "AlreadyExists" });
    expect(await rejection(vault.protect({ name: "blog-daily", cluster: namespaceCluster("shop", { clock }), operationalStore: operational, datasourceParameters: BLOG_ONLY }))).toMatchObject({ code: "AlreadyExists", field: "name" });

    await vault.protect({ name: "blog-aks", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "aks" });
    await vault.protect({ name: "blog-on-demand", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY });
    const other = await BackupVault.create(store, { name: "other", clock });
    await other.createPolicy("daily", gfsPolicy());
    await other.protect({ name: "blog-daily", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "daily" });
    expect(vault.listInstances().map((instance) => instance.name)).toEqual(["blog-aks", "blog-daily", "blog-on-demand"]);
    expect(other.listInstances().map((instance) => instance.name)).toEqual(["blog-daily"]);
  });

  it("checks arguments before writing anything", async () => {
    const { clock, operational, vault } = await memoryVault("2026-01-01T00:00:00Z");
    const cluster = namespaceCluster("blog", { clock });
    expect(await rejection(vault.protect({ name: "x", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "nope" }))).toMatchObject({ code: "NotFound", field: "policyName" });
    expect(await rejection(vault.protect({ name: "Bad_Name", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY }))).toMatchObject({ code: "InvalidArgument", field: "name" });
    expect(await rejection(vault.protect({ name: "x", cluster, operationalStore: operational, datasourceParameters: { snapshotVolumes: "yes" } }))).toMatchObject({ code: "InvalidArgument" });
    expect(await rejection(vault.protect({ name: "x", cluster, operationalStore: operational, operationalStoreName: "A B", datasourceParameters: BLOG_ONLY }))).toMatchObject({ code: "InvalidArgument", field: "operationalStoreName" });
    expect(vault.listInstances()).toEqual([]);
    // Nothing was claimed: the cluster can still be protected.
    await vault.protect({ name: "x", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY });
  });

  it("tags an on-demand backup with the retention rule it is given, or the default rule", async () => {
    const { clock, operational, vault } = await memoryVault("2026-01-01T10:00:00Z");
    await vault.createPolicy("gfs", gfsPolicy());
    const instance = await vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock }), operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });
    const monthly = await instance.backupNow({ retentionTagOverride: "Monthly" });
    expect(monthly).toMatchObject({ status: "Completed", isUserTriggered: true, policyName: "gfs", extendedInfo: { additionalDetails: { RetentionTag: "Monthly", PolicyRuleName: "BackupHourly" } } });
    await clock.advance(60_000);
    await instance.backupNow();
    expect(await rejection(instance.backupNow({ retentionTagOverride: "Hourly" }))).toMatchObject({ code: "InvalidArgument", field: "retentionTagOverride" });
    const points = await collect(instance.listRecoveryPoints());
    expect(points.map((point) => [point.retentionTag, point.retentionTagOverride, point.onDemand])).toEqual([
      ["Monthly", "Monthly", true],
      ["Default", undefined, true],
    ]);
    // An on-demand Monthly point goes to the vault store at the next tick and is kept 12 months there.
    await vault.runDue();
    const [copied] = await collect(instance.listRecoveryPoints());
    expect(copied?.dataStores.VaultStore?.expiryTime).toBe("2027-01-01T10:00:00.000Z");
    const onDemandOnly = await vault.protect({ name: "blog-2", cluster: namespaceCluster("blog", { clock }), operationalStore: operational, datasourceParameters: BLOG_ONLY });
    expect(await rejection(onDemandOnly.backupNow({ retentionTagOverride: "Monthly" }))).toMatchObject({ code: "InvalidArgument", field: "retentionTagOverride" });
    const kept = await onDemandOnly.backupNow();
    expect((await onDemandOnly.getRecoveryPointInfo(kept.extendedInfo.recoveryPointId!))?.expiryTime).toBeUndefined();
  });

  it("keeps working as an in-process vault made with new BackupVault()", async () => {
    const vault = new BackupVault({ name: "vault" });
    const cluster = namespaceCluster("blog");
    const instance = await vault.protect({ name: "blog", cluster, operationalStore: new MemoryObjectStore(), datasourceParameters: BLOG_ONLY });
    const job = await instance.backupNow();
    expect(job.status).toBe("Completed");
    const id = job.extendedInfo.recoveryPointId!;
    expect((await instance.getRecoveryPoint(id)).items.length).toBeGreaterThan(0);
    expect((await collect(instance.listRecoveryPoints())).map((point) => point.recoveryPointId)).toEqual([id]);
    const target = namespaceCluster("shop");
    const restore = await instance.restore(id, {}, { targetCluster: target });
    expect(restore.status).toBe("Completed");
    expect(vault.getJob(job.jobId)?.status).toBe("Completed");
    expect(vault.listJobs().map((each) => each.operation)).toEqual(["Backup", "Restore"]);
  });
});
