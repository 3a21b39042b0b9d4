import { BackupVault, aksDefaultPolicy, collect, type BackupInstance, type BackupPolicy } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { describe, expect, it } from "vitest";
import { BLOG_ONLY, catalogued, committedIds, gfsPolicy, memoryVault, namespaceCluster, walk, type MemoryVault } from "./helpers.js";

const DAILY = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+00:00/P1D"], timeZone: "UTC" };

/** A daily policy whose every backup is kept 2 days in the operational store and copied to the vault store for 5. */
function shortPolicy(): BackupPolicy {
  const policy = aksDefaultPolicy();
  const rules = policy.policyRules as unknown as Array<Record<string, any>>;
  rules[0]!.trigger.schedule.repeatingTimeIntervals = DAILY.repeatingTimeIntervals;
  rules[0]!.trigger.taggingCriteria = [rules[0]!.trigger.taggingCriteria[0]];
  rules[1]!.lifecycles = [
    { deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P2D" }, sourceDataStore: { dataStoreType: "OperationalStore", objectType: "DataStoreInfoBase" }, targetDataStoreCopySettings: [{ copyAfter: { objectType: "ImmediateCopyOption" }, dataStore: { dataStoreType: "VaultStore", objectType: "DataStoreInfoBase" } }] },
    { deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P5D" }, sourceDataStore: { dataStoreType: "VaultStore", objectType: "DataStoreInfoBase" } },
  ];
  policy.policyRules = policy.policyRules.slice(0, 2);
  return policy;
}

async function protectedBlog(setup: MemoryVault, policy: BackupPolicy): Promise<BackupInstance> {
  await setup.vault.createPolicy("short", policy);
  return setup.vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock: setup.clock }), operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "short" });
}

describe("vault settings", () => {
  it("start from Azure's defaults and keep Locked immutability, AlwaysOn soft delete and enabled cross-region restore for good", async () => {
    const { vault } = await memoryVault("2026-01-01T00:00:00Z");
    expect(vault.settings).toEqual({
      storageSettings: [{ datastoreType: "VaultStore", type: "LocallyRedundant" }],
      securitySettings: { softDeleteSettings: { state: "On", retentionDurationInDays: 14 }, immutabilitySettings: { state: "Disabled" } },
      featureSettings: { crossRegionRestoreSettings: { state: "Disabled" }, crossSubscriptionRestoreSettings: { state: "Enabled" } },
    });
    await vault.updateSettings({ securitySettings: { immutabilitySettings: { state: "Unlocked" } } });
    await vault.updateSettings({ securitySettings: { immutabilitySettings: { state: "Disabled" } } });
    await vault.updateSettings({ securitySettings: { immutabilitySettings: { state: "Locked" }, softDeleteSettings: { state: "AlwaysOn", retentionDurationInDays: 180 } } });
    await expect(vault.updateSettings({ securitySettings: { immutabilitySettings: { state: "Unlocked" } } })).rejects.toMatchObject({ code: "PermissionDenied", field: "securitySettings.immutabilitySettings.state" });
    await expect(vault.updateSettings({ securitySettings: { softDeleteSettings: { state: "Off" } } })).rejects.toMatchObject({ code: "PermissionDenied", field: "securitySettings.softDeleteSettings.state" });
    await expect(vault.updateSettings({ securitySettings: { softDeleteSettings: { retentionDurationInDays: 13 } } })).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(vault.updateSettings({ featureSettings: { crossRegionRestoreSettings: { state: "Enabled" } } })).rejects.toMatchObject({ code: "InvalidArgument", field: "featureSettings.crossRegionRestoreSettings.state" });
    await vault.updateSettings({ storageSettings: [{ datastoreType: "VaultStore", type: "GeoRedundant" }], featureSettings: { crossRegionRestoreSettings: { state: "Enabled" } } });
    await expect(vault.updateSettings({ featureSettings: { crossRegionRestoreSettings: { state: "Disabled" } } })).rejects.toMatchObject({ code: "PermissionDenied" });
    await vault.updateSettings({ securitySettings: { softDeleteSettings: { retentionDurationInDays: 30 } } });
    expect(vault.settings.securitySettings).toEqual({ softDeleteSettings: { state: "AlwaysOn", retentionDurationInDays: 30 }, immutabilitySettings: { state: "Locked" } });
    await expect(BackupVault.create(new MemoryCluster() as never, { name: "x" })).rejects.toMatchObject({ code: "InvalidArgument", field: "store" });
  });

  it("refuse restores to another subscription unless cross-subscription restore is enabled", async () => {
    const setup = await memoryVault("2026-01-01T00:00:00Z", { featureSettings: { crossSubscriptionRestoreSettings: { state: "Disabled" } } });
    const cluster = namespaceCluster("blog", { clock: setup.clock, identity: { name: "aks-blog", subscriptionId: "sub-a", region: "westeurope" } });
    const instance = await setup.vault.protect({ name: "blog", cluster, operationalStore: setup.operational, datasourceParameters: BLOG_ONLY });
    const id = (await instance.backupNow()).extendedInfo.recoveryPointId!;
    const elsewhere = new MemoryCluster({ identity: { name: "other", subscriptionId: "sub-b", region: "westeurope" } });
    await expect(instance.restore(id, {}, { targetCluster: elsewhere })).rejects.toMatchObject({ code: "PermissionDenied", field: "targetCluster" });
    const otherRegion = new MemoryCluster({ identity: { name: "other", subscriptionId: "sub-a", region: "northeurope" } });
    await expect(instance.planRestore(id, {}, { targetCluster: otherRegion })).rejects.toMatchObject({ code: "PermissionDenied", field: "targetCluster" });
    await setup.vault.updateSettings({ featureSettings: { crossSubscriptionRestoreSettings: { state: "Enabled" } } });
    expect((await instance.restore(id, {}, { targetCluster: elsewhere })).status).toBe("Completed");
  });
});

describe("an immutable vault", () => {
  it("refuses to delete or shorten a vault-store copy before it expires, and lets retention delete it at expiry", async () => {
    const setup = await memoryVault("2026-01-01T00:00:00Z", { securitySettings: { immutabilitySettings: { state: "Locked" }, softDeleteSettings: { state: "Off" } } });
    const instance = await protectedBlog(setup, shortPolicy());
    await walk(setup.vault, setup.clock, DAILY, "2026-01-01T00:00:00Z", "2026-01-03T00:00:01Z");
    const [first, second, third] = await collect(instance.listRecoveryPoints());
    expect(first?.dataStores).toEqual({ VaultStore: { creationTime: "2026-01-01T00:00:00.000Z", expiryTime: "2026-01-06T00:00:00.000Z" } });

    await expect(instance.deleteRecoveryPoint(first!.recoveryPointId)).rejects.toMatchObject({ code: "PermissionDenied", field: "recoveryPointId" });
    await expect(instance.updateRecoveryPointExpiry(first!.recoveryPointId, { dataStore: "VaultStore", expiryTime: new Date("2026-01-04T00:00:00Z") })).rejects.toMatchObject({ code: "PermissionDenied" });
    await instance.updateRecoveryPointExpiry(first!.recoveryPointId, { dataStore: "VaultStore", expiryTime: new Date("2026-01-09T00:00:00Z") });
    await expect(instance.stopProtection({ deleteData: true })).rejects.toMatchObject({ code: "PermissionDenied" });
    // The operational copy is not under immutability: shortening it is allowed, and retention deletes it.
    await instance.updateRecoveryPointExpiry(third!.recoveryPointId, { dataStore: "OperationalStore", expiryTime: new Date("2026-01-03T00:00:00Z") });
    expect((await setup.vault.runDue()).deletions).toEqual([{ instanceName: "blog", recoveryPointId: third!.recoveryPointId, dataStore: "OperationalStore" }]);
    expect(second?.dataStores.VaultStore?.expiryTime).toBe("2026-01-07T00:00:00.000Z");

    // At their expiries, retention deletes the vault copies: the second's on the 7th, the first's (extended) on the 9th.
    await walk(setup.vault, setup.clock, DAILY, "2026-01-04T00:00:00Z", "2026-01-08T00:00:01Z");
    expect((await catalogued(instance)).vault).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-04T00:00:00.000Z", "2026-01-05T00:00:00.000Z", "2026-01-06T00:00:00.000Z", "2026-01-07T00:00:00.000Z", "2026-01-08T00:00:00.000Z"]);
    expect(await committedIds(setup.vaultStore, "vaults/vault/vault-store/blog/")).not.toContain(second!.recoveryPointId);
    await walk(setup.vault, setup.clock, DAILY, "2026-01-09T00:00:00Z", "2026-01-09T00:00:01Z");
    expect(await committedIds(setup.vaultStore, "vaults/vault/vault-store/blog/")).not.toContain(first!.recoveryPointId);
  });
});

describe("soft delete", () => {
  it("keeps a deleted recovery point, not restorable, until its purge time; undelete brings it back; runDue purges it after", async () => {
    const setup = await memoryVault("2026-01-01T00:00:00Z");
    await setup.vault.createPolicy("gfs", gfsPolicy());
    const instance = await setup.vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock: setup.clock }), operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });
    // No scheduled backups; retention goes on, so the on-demand Yearly point is copied to the vault store.
    await instance.suspendBackups();
    const id = (await instance.backupNow({ retentionTagOverride: "Yearly" })).extendedInfo.recoveryPointId!;
    await setup.vault.runDue();

    expect(await instance.deleteRecoveryPoint(id)).toBe(false);
    expect(await instance.getRecoveryPointInfo(id)).toMatchObject({ recoveryPointState: "SoftDeleted", softDeleted: { deletionTime: "2026-01-01T00:00:00.000Z", purgeTime: "2026-01-15T00:00:00.000Z" } });
    await expect(instance.restore(id, {}, { targetCluster: namespaceCluster("shop") })).rejects.toMatchObject({ code: "Conflict" });
    await instance.undeleteRecoveryPoint(id);
    expect((await instance.getRecoveryPointInfo(id))?.recoveryPointState).toBe("Completed");
    await expect(instance.undeleteRecoveryPoint(id)).rejects.toMatchObject({ code: "Conflict" });

    await instance.deleteRecoveryPoint(id);
    await setup.clock.set("2026-01-14T23:59:59Z");
    await setup.vault.runDue();
    expect(await committedIds(setup.vaultStore, "vaults/vault/vault-store/blog/")).toEqual([id]);
    await setup.clock.set("2026-01-15T00:00:00Z");
    await expect(instance.undeleteRecoveryPoint(id)).rejects.toMatchObject({ code: "Conflict" });
    expect((await setup.vault.runDue()).purged).toEqual([{ instanceName: "blog", recoveryPointId: id }]);
    expect(await instance.getRecoveryPointInfo(id)).toBeUndefined();
    expect(await committedIds(setup.vaultStore, "vaults/vault/vault-store/blog/")).toEqual([]);
    expect(await committedIds(setup.operational, "vaults/vault/backup-instances/blog/")).not.toContain(id);
  });

  it("keeps a deleted instance with its recovery points until its purge time, and purges it whole after", async () => {
    const setup = await memoryVault("2026-01-01T00:00:00Z");
    await setup.vault.createPolicy("gfs", gfsPolicy());
    const cluster = namespaceCluster("blog", { clock: setup.clock });
    const instance = await setup.vault.protect({ name: "blog", cluster, operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });
    await walk(setup.vault, setup.clock, DAILY, "2026-01-01T00:00:00Z", "2026-01-03T00:00:01Z");

    expect(await instance.stopProtection({ deleteData: true })).toBe(false);
    expect(instance.protectionStatus).toEqual({ status: "SoftDeleted" });
    expect(instance.softDeleted).toEqual({ deletionTime: "2026-01-03T00:00:00.000Z", purgeTime: "2026-01-17T00:00:00.000Z" });
    expect((await collect(instance.listRecoveryPoints())).map((point) => point.recoveryPointState)).toEqual(["SoftDeleted", "SoftDeleted", "SoftDeleted"]);
    await walk(setup.vault, setup.clock, DAILY, "2026-01-04T00:00:00Z", "2026-01-10T00:00:01Z", (_now, result) => {
      expect(result.backups).toEqual([]);
      expect(result.deletions).toEqual([]);
    });
    await expect(instance.resumeProtection()).rejects.toMatchObject({ code: "Conflict" });
    await instance.undelete();
    expect(instance.currentProtectionState).toBe("ProtectionStopped");
    expect((await collect(instance.listRecoveryPoints())).map((point) => point.recoveryPointState)).toEqual(["Completed", "Completed", "Completed"]);

    await instance.stopProtection({ deleteData: true });
    await setup.clock.set("2026-01-24T00:00:00Z");
    expect((await setup.vault.runDue()).purged).toEqual([{ instanceName: "blog" }]);
    expect(setup.vault.getInstance("blog")).toBeUndefined();
    expect(await committedIds(setup.operational, "vaults/vault/backup-instances/blog/")).toEqual([]);
    expect(await committedIds(setup.vaultStore, "")).toEqual([]);
    // The cluster can be protected with the policy again.
    await setup.vault.protect({ name: "blog", cluster, operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });
  });

  it("deletes for good at once when soft delete is off", async () => {
    const setup = await memoryVault("2026-01-01T00:00:00Z", { securitySettings: { softDeleteSettings: { state: "Off" } } });
    const instance = await protectedBlog(setup, shortPolicy());
    await walk(setup.vault, setup.clock, DAILY, "2026-01-01T00:00:00Z", "2026-01-02T00:00:01Z");
    const [first] = await collect(instance.listRecoveryPoints());
    expect(await instance.deleteRecoveryPoint(first!.recoveryPointId)).toBe(true);
    expect(await instance.getRecoveryPointInfo(first!.recoveryPointId)).toBeUndefined();
    expect(await committedIds(setup.vaultStore, "")).not.toContain(first!.recoveryPointId);
    expect(await instance.stopProtection({ deleteData: true })).toBe(true);
    expect(setup.vault.listInstances()).toEqual([]);
    expect(await committedIds(setup.operational, "")).toEqual([]);
  });
});
