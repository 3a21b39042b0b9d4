import { describe, expect, it } from "vitest";
import { BackupVault, KBackupError, collect, defaultVaultSettings, type BackupInstance, type ClusterIdentity, type KubeObject, type PreflightFinding, type RestoreItemResult } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { SAMPLE_CLUSTER_IDENTITY, faultyCluster, faultyObjectStore, hookCustomResourceDefinitions, sampleCluster } from "@kbackup/testing";
import { READ_ONLY, allBut, codes, errors, summary } from "./helpers.js";

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };
const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" };
const CRDS = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" };
const RESTORE_HOOKS = { group: "clusterbackup.dataprotection.microsoft.com", version: "v1alpha1", resource: "restorehooks" };
const WITHOUT_DATA = { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" } as const;

interface Backed {
  source: MemoryCluster;
  provider: MemorySnapshotProvider;
  vault: BackupVault;
  instance: BackupInstance;
  id: string;
  /** Makes the operational store fail its reads while true. */
  breakStore(broken: boolean): void;
}

/** The shop and blog namespaces of the sample cluster, protected and backed up once. */
async function backedUp(vaultSettings: Record<string, unknown> = {}): Promise<Backed> {
  const source = await sampleCluster();
  const provider = new MemorySnapshotProvider(source);
  let broken = false;
  const store = faultyObjectStore(new MemoryObjectStore(), [{ operation: "get", when: () => broken, times: Infinity, action: { fail: "Unavailable" } }]);
  const vault = new BackupVault({ name: "vault", ...vaultSettings });
  const instance = await vault.protect({ name: "sample", cluster: source, snapshotProvider: provider, operationalStore: store, datasourceParameters: { includedNamespaces: ["shop", "blog"] } });
  const job = await instance.backupNow();
  expect(job.status).toBe("Completed");
  return { source, provider, vault, instance, id: job.extendedInfo.recoveryPointId!, breakStore: (value) => (broken = value) };
}

function target(identity: Partial<ClusterIdentity> = {}): MemoryCluster {
  return new MemoryCluster({ identity: { ...SAMPLE_CLUSTER_IDENTITY, name: "aks-target", id: "/clusters/aks-target", ...identity } });
}

describe("validateRestore", () => {
  it("finds nothing wrong with a restore into an empty cluster of the same region and subscription", async () => {
    const { instance, id, provider } = await backedUp();
    const cluster = target();
    expect(await instance.validateRestore(id, {}, { targetCluster: cluster, targetSnapshotProvider: provider.forCluster(cluster) })).toEqual([]);
    expect(await collect(cluster.list(NAMESPACES))).toEqual([]);
  });

  it("counts the items that exist in the target already: skipped, or patched with conflictPolicy Patch", async () => {
    const { instance, id, source } = await backedUp();
    const inPlace = await instance.validateRestore(id, {});
    expect(summary(inPlace)).toEqual(["Warning RestoreConflicts targetCluster aks-sample"]);
    const plan = await instance.planRestore(id, {});
    const existing = plan.items.filter((item: RestoreItemResult) => item.outcome === "Skipped" && /already exists/.test(item.reason ?? "")).length;
    expect(existing).toBeGreaterThan(0);
    expect(inPlace[0]!.message).toMatch(new RegExp(`^${existing} items already exist in the target: ${existing} would be skipped and 0 patched`));
    await source.patch(CONFIGMAPS, "web-config", { data: { LOG_LEVEL: "debug" } }, { patchType: "merge", namespace: "shop" });
    const patching = await instance.validateRestore(id, { conflictPolicy: "Patch" });
    expect(patching[0]!.message).toMatch(/ and 1 patched \(configmaps\/shop\/web-config/);
  });

  it("reports every verb the target refuses on what the restore writes; the restore then refuses, or fails without the checks", async () => {
    const { instance, id } = await backedUp();
    const cluster = target();
    cluster.setPermissions(READ_ONLY);
    const findings = await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: cluster });
    const missing = findings.filter((finding) => finding.code === "PermissionMissing");
    expect(missing.length).toBeGreaterThan(3);
    expect(missing.every((finding) => finding.severity === "Error" && /does not allow create on /.test(finding.message))).toBe(true);
    expect(missing.map((finding) => finding.target)).toEqual(expect.arrayContaining(["namespaces", "configmaps", "deployments.apps", "secrets"]));
    expect(missing.find((finding) => finding.target === "configmaps")!.message).toMatch(/in namespaces blog, shop/);

    await expect(instance.restore(id, WITHOUT_DATA, { targetCluster: cluster })).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect(await collect(cluster.list(NAMESPACES))).toEqual([]);
    const job = await instance.restore(id, WITHOUT_DATA, { targetCluster: cluster, skipValidation: true });
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]?.message).toMatch(/cannot create resource/);

    cluster.setPermissions(allBut("patch"));
    expect(await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: cluster })).toEqual([]);
    expect(summary(await instance.validateRestore(id, { ...WITHOUT_DATA, conflictPolicy: "Patch", includedResourceTypes: ["configmaps"] }, { targetCluster: cluster }))).toEqual(["Error PermissionMissing namespaces", "Error PermissionMissing configmaps"]);
  });

  it("reports a target in another region: not allowed from the operational store", async () => {
    const { instance, id } = await backedUp();
    const paired = target({ region: "northeurope" });
    const findings = await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: paired });
    expect(summary(findings)).toEqual(["Error RegionMismatch targetCluster aks-target"]);
    expect(findings[0]!.remedy).toMatch(/westeurope.*paired region northeurope/);
    const vaultCopy = await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: paired, dataStore: "VaultStore" });
    expect(summary(vaultCopy)).toEqual(["Error RecoveryPointUnavailable recoveryPointId", "Error CrossRegionRestoreDisabled targetCluster aks-target"]);
  });

  it("reports a target in another subscription unless cross-subscription restore is enabled", async () => {
    const disabled = await backedUp({ featureSettings: { crossSubscriptionRestoreSettings: { state: "Disabled" } } });
    const elsewhere = target({ subscriptionId: "99999999-0000-0000-0000-000000000000" });
    expect(summary(await disabled.instance.validateRestore(disabled.id, WITHOUT_DATA, { targetCluster: elsewhere }))).toEqual(["Error SubscriptionMismatch targetCluster aks-target"]);
    const enabled = await backedUp();
    expect(await enabled.instance.validateRestore(enabled.id, WITHOUT_DATA, { targetCluster: elsewhere })).toEqual([]);
  });

  it("needs a staging location for vault-tier criteria", async () => {
    const { instance, id } = await backedUp();
    const cluster = target();
    const criteria = { objectType: "KubernetesClusterVaultTierRestoreCriteria", ...WITHOUT_DATA };
    expect(summary(await instance.validateRestore(id, criteria, { targetCluster: cluster }))).toEqual([
      "Error StagingLocationMissing restoreCriteria.stagingResourceGroupId",
      "Error StagingLocationMissing restoreCriteria.stagingStorageAccountId",
    ]);
    const staged = { ...criteria, stagingResourceGroupId: "/subscriptions/s/resourceGroups/rg-staging", stagingStorageAccountId: "/subscriptions/s/resourceGroups/rg-staging/providers/Microsoft.Storage/storageAccounts/staging1" };
    expect(await instance.validateRestore(id, staged, { targetCluster: cluster })).toEqual([]);
  });

  it("reports restore hooks that are missing or do not parse, and exec the hooks would need", async () => {
    const { instance, id } = await backedUp();
    const cluster = target();
    const criteria = { ...WITHOUT_DATA, restoreHookReferences: [{ name: "warm", namespace: "default" }] };
    expect(summary(await instance.validateRestore(id, criteria, { targetCluster: cluster }))).toEqual(["Error HookReferenceMissing RestoreHook default/warm"]);
    await cluster.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    for (const crd of hookCustomResourceDefinitions()) await cluster.create(CRDS, crd);
    await cluster.create(RESTORE_HOOKS, restoreHook([]));
    expect(summary(await instance.validateRestore(id, criteria, { targetCluster: cluster }))).toEqual(["Error HookReferenceInvalid RestoreHook default/warm"]);
    await cluster.delete(RESTORE_HOOKS, "warm", { namespace: "default" });
    await cluster.create(RESTORE_HOOKS, restoreHook(["cat", "/tmp/ready"]));
    expect(await instance.validateRestore(id, criteria, { targetCluster: cluster })).toEqual([]);
    // Every verb on every resource type, but no subresource: exec is not allowed.
    const everyType = [...new Set((await cluster.discover()).map((type) => type.resource))];
    cluster.setPermissions([{ verbs: ["*"], groups: ["*"], resources: everyType }]);
    const exec = await instance.validateRestore(id, criteria, { targetCluster: cluster });
    expect(summary(exec)).toEqual(["Error PermissionMissing pods/exec"]);
    expect(exec[0]!.message).toMatch(/create on pods\/exec in namespaces? .*shop/);
  });

  it("reports a resource modifier ConfigMap that is missing or malformed", async () => {
    const { instance, id } = await backedUp();
    const cluster = target();
    const criteria = { ...WITHOUT_DATA, resourceModifierReference: { name: "rules", namespace: "kbackup" } };
    expect(summary(await instance.validateRestore(id, criteria, { targetCluster: cluster }))).toEqual(["Error ModifierReferenceMissing ConfigMap kbackup/rules"]);
    await cluster.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kbackup" } });
    await cluster.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rules", namespace: "kbackup" }, data: { "rules.yaml": "version: v2\nresourceModifierRules: []\n" } });
    expect(summary(await instance.validateRestore(id, criteria, { targetCluster: cluster }))).toEqual(["Error ModifierReferenceInvalid ConfigMap kbackup/rules"]);
    await cluster.patch(CONFIGMAPS, "rules", { data: { "rules.yaml": "version: v1\nresourceModifierRules:\n- conditions:\n    groupResource: configmaps\n  mergePatches:\n  - patchData: '{\"metadata\":{\"labels\":{\"restored\":\"yes\"}}}'\n" } }, { patchType: "merge", namespace: "kbackup" });
    expect(await instance.validateRestore(id, criteria, { targetCluster: cluster })).toEqual([]);
  });

  it("reports included namespaces the recovery point does not hold, and types nobody serves", async () => {
    const { instance, id } = await backedUp();
    const cluster = target();
    expect(summary(await instance.validateRestore(id, { ...WITHOUT_DATA, includedNamespaces: ["shop", "analytics"] }, { targetCluster: cluster }))).toEqual(["Error NamespaceMissing namespaces/analytics"]);
    expect(summary(await instance.validateRestore(id, { ...WITHOUT_DATA, includedResourceTypes: ["gizmos.nowhere.io"] }, { targetCluster: cluster }))).toEqual(["Error SelectionInvalid restoreCriteria"]);
  });

  it("needs a snapshot provider for the target when volumes come from snapshots", async () => {
    const { instance, id, provider } = await backedUp();
    const cluster = target();
    const findings = await instance.validateRestore(id, {}, { targetCluster: cluster });
    expect(summary(findings)).toEqual(["Error SnapshotProviderMissing targetSnapshotProvider"]);
    expect(findings[0]!.message).toMatch(/shop\/data-postgres-0/);
    expect(await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: cluster })).toEqual([]);
    expect(await instance.validateRestore(id, {}, { targetCluster: cluster, targetSnapshotProvider: provider.forCluster(cluster) })).toEqual([]);
  });

  it("reports a recovery point that is unknown, soft-deleted or unreadable", async () => {
    const { instance, id, breakStore } = await backedUp();
    const cluster = target();
    expect(summary(await instance.validateRestore("20260101T000000000Z-deadbeef", WITHOUT_DATA, { targetCluster: cluster }))).toEqual(["Error RecoveryPointUnavailable recoveryPointId"]);
    breakStore(true);
    expect(summary(await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: cluster }))).toEqual(["Error StoreUnreachable operationalStore"]);
    breakStore(false);
    await instance.deleteRecoveryPoint(id);
    const deleted = await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: cluster });
    expect(summary(deleted)).toEqual(["Error RecoveryPointUnavailable recoveryPointId"]);
    expect(deleted[0]!.message).toMatch(/soft-deleted/);
  });

  it("reports a target cluster that does not answer", async () => {
    const { instance, id } = await backedUp();
    const down = faultyCluster(target(), [{ operation: "discover", times: Infinity, action: { fail: "Unavailable" } }]);
    expect(summary(await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: down }))).toEqual(["Error ClusterUnreachable targetCluster aks-target"]);
  });

  it("still rejects bad criteria with InvalidArgument", async () => {
    const { instance, id } = await backedUp();
    await expect(instance.validateRestore(id, { includedNamespaces: ["Bad_Name"] })).rejects.toMatchObject({ code: "InvalidArgument" });
  });
});

describe("restore", () => {
  it("refuses with every Error at once and writes nothing; Warnings do not stop it", async () => {
    const { instance, id } = await backedUp();
    const cluster = target();
    const criteria = { includedNamespaces: ["shop", "analytics"], resourceModifierReference: { name: "rules", namespace: "kbackup" } };
    const error = await instance.restore(id, criteria, { targetCluster: cluster }).then(
      () => undefined,
      (rejection: unknown) => rejection as KBackupError,
    );
    expect(error?.code).toBe("PreconditionFailed");
    const findings = error!.details?.findings as PreflightFinding[];
    expect(codes(errors(findings))).toEqual(["ModifierReferenceMissing", "NamespaceMissing", "SnapshotProviderMissing"]);
    expect(error!.message.split("\n").slice(1)).toHaveLength(3);
    expect(await collect(cluster.list(NAMESPACES))).toEqual([]);
    expect((await instance.restore(id, WITHOUT_DATA, { targetCluster: cluster })).status).toBe("Completed");
    expect((await instance.restore(id, WITHOUT_DATA, { targetCluster: cluster })).status).toBe("Completed");
  });
});

function restoreHook(command: string[]): KubeObject {
  return {
    apiVersion: "clusterbackup.dataprotection.microsoft.com/v1alpha1",
    kind: "RestoreHook",
    metadata: { name: "warm", namespace: "default" },
    spec: { restoreHook: [{ name: "warm-cache", includedNamespaces: ["shop"], postHooks: [{ exec: { command } }] }] },
  };
}

it("the defaults of a new vault allow a restore to another subscription", () => {
  expect(defaultVaultSettings().featureSettings.crossSubscriptionRestoreSettings.state).toBe("Enabled");
});
