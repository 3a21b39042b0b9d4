import { BackupCenter, BackupVault, KBackupError, aksDefaultPolicy, collect, verifyVaultRecoveryPoint, type ClusterClient, type JobAlert, type KubeObject } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";
import { ManualClock } from "@kbackup/testing";
import { describe, expect, it } from "vitest";

/** A cluster with a few objects in each of `namespaces`. */
function cluster(name: string, namespaces: string[], clock: ManualClock): MemoryCluster {
  const memory = new MemoryCluster({ identity: { name }, clock });
  const objects: KubeObject[] = namespaces.flatMap((namespace) => [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace }, data: { greeting: `hello from ${namespace}` } },
    { apiVersion: "v1", kind: "Secret", metadata: { name: "token", namespace }, data: { token: Buffer.from(namespace).toString("base64") } },
  ]);
  memory.load(objects);
  return memory;
}

/** A cluster whose API server is down while `down.value` is true. */
function flaky(inner: ClusterClient, down: { value: boolean }): ClusterClient {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "discover" && down.value) return () => Promise.reject(new KBackupError("Unavailable", "The API server is unavailable."));
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function world() {
  const clock = new ManualClock("2026-05-04T08:00:00Z");
  const store = new MemoryObjectStore({ clock });
  const operational = new MemoryObjectStore({ clock });
  const vault = await BackupVault.create(store, { name: "prod", clock, securitySettings: { softDeleteSettings: { state: "Off" } } });
  await vault.createPolicy("aks", aksDefaultPolicy());
  const down = { value: false };
  const blog = await vault.protect({ name: "blog", cluster: cluster("aks-blog", ["blog"], clock), operationalStore: operational, datasourceParameters: { snapshotVolumes: false, includedNamespaces: ["blog"] }, policyName: "aks" });
  const everything = await vault.protect({ name: "everything", cluster: flaky(cluster("aks-all", ["shop", "analytics"], clock), down), operationalStore: operational, datasourceParameters: { snapshotVolumes: false, includeClusterScopeResources: false }, policyName: "aks" });
  return { clock, store, operational, vault, blog, everything, down };
}

describe("a backup center over a vault", () => {
  it("reads instances, recovery points, namespaces and jobs, and alerts on failures seen by a later refresh", async () => {
    const w = await world();
    await w.clock.set("2026-05-04T09:00:00Z");
    expect((await w.vault.runDue()).errors).toEqual([]);
    const center = new BackupCenter({ vaults: [w.vault], clock: w.clock });
    const alerts: JobAlert[] = [];
    center.onAlert((alert) => alerts.push(alert));
    const first = await center.refresh();
    expect(first).toMatchObject({ vaults: 1, instances: 2, jobs: 2, alerts: [] });

    const instances = center.listInstances();
    expect(instances.map((instance) => [instance.name, instance.protectedNamespaces])).toEqual([
      ["blog", ["blog"]],
      // Protecting all namespaces: read from the latest recovery point.
      ["everything", ["analytics", "shop"]],
    ]);
    const states = center.protectionStates();
    expect(states.map((state) => [state.instanceName, state.lastBackupStatus, state.recoveryPoints])).toEqual([
      ["blog", "Completed", { OperationalStore: 1, VaultStore: 1 }],
      ["everything", "Completed", { OperationalStore: 1, VaultStore: 1 }],
    ]);
    expect(center.usage().totals.namespacesProtected).toBe(3);

    // The next scheduled backup fails for one cluster; a later refresh raises one alert for it.
    w.down.value = true;
    await w.clock.set("2026-05-04T13:00:00Z");
    await w.vault.runDue();
    await w.clock.set("2026-05-04T13:05:00Z");
    const second = await center.refresh();
    expect(second.alerts).toHaveLength(1);
    expect(alerts).toEqual(second.alerts);
    expect(alerts[0]).toMatchObject({ vaultName: "prod", instanceName: "everything", operation: "Backup", code: "Unavailable" });
    expect((await center.refresh()).alerts).toEqual([]);

    const failed = await collect(center.listJobs({ status: "Failed" }));
    expect(failed.map((job) => job.backupInstanceFriendlyName)).toEqual(["everything"]);
    const report = center.complianceReport();
    expect(report.findings.map((finding) => `${finding.check}:${finding.instanceName ?? finding.vaultName}`)).toEqual([
      "SoftDeleteDisabled:prod",
      "ImmutabilityDisabled:prod",
      "NotGeoRedundant:prod",
      "LastBackupFailed:everything",
    ]);
    // Hours later the failed instance is overdue; the other one is too, since the scheduler stopped running.
    const later = center.complianceReport({ now: new Date("2026-05-04T19:00:00Z") });
    expect(later.findings.filter((finding) => finding.check === "BackupOverdue").map((finding) => finding.instanceName)).toEqual(["blog", "everything"]);
  });

  it("verifies a recovery point's copies, and reports damage as failed checks", async () => {
    const w = await world();
    await w.clock.set("2026-05-04T09:00:00Z");
    expect((await w.vault.runDue()).errors).toEqual([]);
    const [pointInfo] = await collect(w.blog.listRecoveryPoints());
    const id = pointInfo!.recoveryPointId;
    const base = { store: w.store, vaultName: "prod", instanceName: "blog", recoveryPointId: id, operationalStore: w.operational };

    const operational = await verifyVaultRecoveryPoint({ ...base, dataStore: "OperationalStore" });
    expect(operational.ok).toBe(true);
    expect(operational.checks.map((check) => check.name)).toEqual(["manifest", "archive", "members", "items"]);
    expect(operational.itemsChecked).toBe(pointInfo!.itemCount);
    expect(operational.archiveBytes).toBe(pointInfo!.archiveSizeInBytes);
    const vaultCopy = await verifyVaultRecoveryPoint({ ...base, dataStore: "VaultStore" });
    expect(vaultCopy).toMatchObject({ ok: true, dataStore: "VaultStore", itemsChecked: pointInfo!.itemCount });

    // One byte flipped in the middle of the operational archive.
    const archiveKey = (await collect(w.operational.list(`vaults/prod/backup-instances/blog/recovery-points/${id}/`))).find((info) => info.key.endsWith(".tar.gz"))!.key;
    const bytes = (await w.operational.get(archiveKey))!.body.slice();
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await w.operational.put(archiveKey, bytes);
    const damaged = await verifyVaultRecoveryPoint({ ...base, dataStore: "OperationalStore" });
    expect(damaged.ok).toBe(false);
    expect(damaged.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(["archive", "members"]);
    expect(damaged.checks.find((check) => check.name === "members")?.message).toMatch(/checksum|decompress/);

    await w.operational.delete(`vaults/prod/backup-instances/blog/recovery-points/${id}/manifest.json`);
    const gone = await verifyVaultRecoveryPoint({ ...base, dataStore: "OperationalStore" });
    expect(gone.checks).toEqual([{ name: "manifest", ok: false, message: expect.stringMatching(/no recovery point/i) }]);
    await expect(verifyVaultRecoveryPoint({ ...base, instanceName: "nobody", dataStore: "OperationalStore" })).rejects.toMatchObject({ code: "NotFound" });
  });
});
