import { describe, expect, it } from "vitest";
import { BackupVault, KBackupError, aksDefaultPolicy, collect, isKBackupError, type KubeObject, type PreflightFinding, type ProtectOptions, type SnapshotProvider, type VaultSettingsInput } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider, type MemoryCluster } from "@kbackup/adapter-memory";
import { faultyCluster, faultyObjectStore, hookCustomResourceDefinitions, sampleCluster } from "@kbackup/testing";
import { READ_ONLY, codes, errors, summary, vaultTierPolicy, withCapabilities, withoutCheckAccess } from "./helpers.js";

const CRDS = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" };
const BACKUP_HOOKS = { group: "clusterbackup.dataprotection.microsoft.com", version: "v1alpha1", resource: "backuphooks" };
const SHOP_ONLY = { includedNamespaces: ["shop"] };

interface Setup {
  source: MemoryCluster;
  provider: MemorySnapshotProvider;
  store: MemoryObjectStore;
  vault: BackupVault;
  options: ProtectOptions;
}

async function setup(datasourceParameters: Record<string, unknown> = SHOP_ONLY, vaultOptions: Record<string, unknown> = {}): Promise<Setup> {
  const source = await sampleCluster();
  const provider = new MemorySnapshotProvider(source);
  const store = new MemoryObjectStore();
  const vault = new BackupVault({ name: "vault", ...vaultOptions });
  return { source, provider, store, vault, options: { name: "sample", cluster: source, snapshotProvider: provider, operationalStore: store, datasourceParameters } };
}

function only(findings: readonly PreflightFinding[], code: string): PreflightFinding[] {
  return findings.filter((finding) => finding.code === code);
}

describe("validateForProtection", () => {
  it("finds nothing wrong with the shop namespace of the sample cluster, and writes nothing", async () => {
    const { vault, options, store } = await setup();
    const findings = await vault.validateForProtection(options);
    expect(findings).toEqual([]);
    expect(await collect(store.list(""))).toEqual([]);
    expect(vault.listInstances()).toEqual([]);
  });

  it("probes the stores with a create-only object under preflight/ that it deletes at once", async () => {
    const { vault, options, store } = await setup();
    const recorded = faultyObjectStore(store, []);
    expect(await vault.validateForProtection({ ...options, operationalStore: recorded })).toEqual([]);
    const puts = recorded.calls.filter((call) => call.operation === "put");
    expect(puts).toHaveLength(1);
    const [key, , putOptions] = puts[0]!.args as [string, unknown, { ifNoneMatch?: string }];
    expect(key).toMatch(/^backup-instances\/sample\/preflight\/[0-9a-f-]{36}$/);
    expect(putOptions.ifNoneMatch).toBe("*");
    expect(recorded.calls.filter((call) => call.operation === "delete").map((call) => call.args[0])).toEqual([key]);
    expect(await collect(store.list(""))).toEqual([]);
  });

  it("reports a cluster whose discovery or list fails as ClusterUnreachable", async () => {
    const { vault, options, source } = await setup();
    const noDiscovery = faultyCluster(source, [{ operation: "discover", times: Infinity, action: { fail: "Unavailable" } }]);
    expect(summary(await vault.validateForProtection({ ...options, cluster: noDiscovery }))).toEqual([`Error ClusterUnreachable cluster aks-sample`]);
    const noList = faultyCluster(source, [{ operation: "list", times: Infinity, action: { fail: "PermissionDenied" } }]);
    expect(codes(errors(await vault.validateForProtection({ ...options, cluster: noList })))).toContain("ClusterUnreachable");
  });

  it("reports each verb the backup needs and the identity lacks, with the resource", async () => {
    const { vault, options, source } = await setup({ includedNamespaces: ["shop"], includedResourceTypes: ["secrets", "configmaps", "persistentvolumeclaims"] });
    source.setPermissions([{ verbs: ["get", "list"], groups: [""], resources: ["namespaces", "configmaps", "persistentvolumeclaims", "persistentvolumes"] }]);
    const findings = await vault.validateForProtection(options);
    expect(summary(only(findings, "PermissionMissing"))).toEqual(["Error PermissionMissing secrets", "Error PermissionMissing secrets"]);
    expect(only(findings, "PermissionMissing").map((finding) => finding.message).join("\n")).toMatch(/does not allow list on secrets across the cluster/);
    source.setPermissions([...READ_ONLY]);
    expect(only(await vault.validateForProtection(options), "PermissionMissing")).toEqual([]);
  });

  it("needs exec in pods when backup hooks are referenced", async () => {
    const hookParameters = { includedNamespaces: ["shop"], backupHookReferences: [{ name: "db-hooks", namespace: "shop" }] };
    const { vault, options, source } = await setup(hookParameters);
    await installBackupHook(source);
    source.setPermissions([...READ_ONLY]);
    const findings = await vault.validateForProtection(options);
    expect(summary(findings)).toEqual(["Error PermissionMissing pods/exec"]);
    expect(findings[0]!.message).toMatch(/create on pods\/exec in namespace shop/);
    source.setPermissions([...READ_ONLY, { verbs: ["create"], groups: [""], resources: ["pods/exec"], namespaces: ["shop"] }]);
    expect(await vault.validateForProtection(options)).toEqual([]);
  });

  it("warns once that permissions could not be checked when the client has no checkAccess", async () => {
    const { vault, options, source } = await setup();
    const findings = await vault.validateForProtection({ ...options, cluster: withoutCheckAccess(source) });
    expect(summary(findings)).toEqual(["Warning PermissionCheckUnavailable cluster aks-sample"]);
  });

  it("reports an operational store that does not answer, or refuses writes", async () => {
    const { vault, options, store } = await setup();
    const down = faultyObjectStore(store, [{ operation: "list", times: Infinity, action: { fail: "Unavailable" } }]);
    expect(summary(await vault.validateForProtection({ ...options, operationalStore: down }))).toEqual(["Error StoreUnreachable operationalStore"]);
    const readOnly = faultyObjectStore(store, [{ operation: "put", times: Infinity, action: { fail: "PermissionDenied" } }]);
    const findings = await vault.validateForProtection({ ...options, operationalStore: readOnly });
    expect(summary(findings)).toEqual(["Error StoreNotWritable operationalStore"]);
    expect(findings[0]!.remedy).toMatch(/write and delete access/);
    const noDelete = faultyObjectStore(store, [{ operation: "delete", times: Infinity, action: { fail: "PermissionDenied" } }]);
    expect(summary(await vault.validateForProtection({ ...options, operationalStore: noDelete }))).toEqual(["Error StoreNotWritable operationalStore"]);
  });

  it("checks the vault store, its redundancy and immutability, only when the policy uses it", async () => {
    const vaultStore = new MemoryObjectStore();
    const catalogue = new MemoryObjectStore();
    const source = await sampleCluster();
    const provider = new MemorySnapshotProvider(source);
    const settings: VaultSettingsInput = { storageSettings: [{ datastoreType: "VaultStore", type: "GeoRedundant" }], securitySettings: { immutabilitySettings: { state: "Locked" } } };
    const vault = await BackupVault.create(catalogue, { name: "vault", vaultStore, ...settings });
    await vault.createPolicy("aks", vaultTierPolicy());
    await vault.createPolicy("operational-only", operationalOnlyPolicy());
    const options: ProtectOptions = { name: "sample", cluster: source, snapshotProvider: provider, operationalStore: new MemoryObjectStore(), datasourceParameters: SHOP_ONLY };
    expect(summary(await vault.validateForProtection({ ...options, policyName: "aks" }))).toEqual(["Warning StoreRedundancyMismatch vaultStore", "Warning StoreImmutabilityMissing vaultStore"]);
    expect(await vault.validateForProtection({ ...options, policyName: "operational-only" })).toEqual([]);

    const capable = await BackupVault.create(new MemoryObjectStore(), { name: "vault", vaultStore: withCapabilities(vaultStore, { secondaryRead: true, immutability: true }), ...settings });
    await capable.createPolicy("aks", vaultTierPolicy());
    expect(await capable.validateForProtection({ ...options, policyName: "aks" })).toEqual([]);

    const broken = await BackupVault.create(new MemoryObjectStore(), { name: "vault", vaultStore: faultyObjectStore(vaultStore, [{ operation: "put", times: Infinity, action: { fail: "PermissionDenied" } }]) });
    await broken.createPolicy("aks", vaultTierPolicy());
    expect(summary(await broken.validateForProtection({ ...options, policyName: "aks" }))).toEqual(["Error StoreNotWritable vaultStore"]);
    expect(await collect(vaultStore.list(""))).toEqual([]);
  });

  it("warns of volumes backed up without their data: type not included, not snapshottable, no provider", async () => {
    const { vault, options } = await setup({ includedNamespaces: ["shop", "analytics"] });
    const files = only(await vault.validateForProtection(options), "VolumeNotSnapshottable");
    expect(files.map((finding) => finding.severity)).toEqual(["Warning"]);
    expect(files[0]!.target).toMatch(/^persistentvolumes\/pvc-865b8131/);
    expect(files[0]!.message).toMatch(/cannot snapshot it/);

    const disksOnly = await vault.validateForProtection({ ...options, datasourceParameters: { includedNamespaces: ["shop", "analytics"], includedVolumeTypes: ["AzureDisk"] } });
    expect(summary(disksOnly)).toEqual([expect.stringMatching(/^Warning VolumeTypeNotIncluded persistentvolumes\/pvc-865b8131/)]);

    const { snapshotProvider: _provider, ...withoutProvider } = options;
    expect(codes(await vault.validateForProtection(withoutProvider))).toEqual(["VolumeNotSnapshottable"]);
    expect(await vault.validateForProtection({ ...options, datasourceParameters: { includedNamespaces: ["shop", "analytics"], snapshotVolumes: false } })).toEqual([]);
  });

  it("reports a snapshot provider that cannot answer as an Error", async () => {
    const { vault, options, provider } = await setup();
    const failing: SnapshotProvider = Object.assign(Object.create(provider) as SnapshotProvider, {
      canSnapshot: () => Promise.reject(new KBackupError("Unavailable", "The disk API is down.")),
    });
    expect(summary(await vault.validateForProtection({ ...options, snapshotProvider: failing }))).toEqual(["Error SnapshotProviderUnavailable snapshotProvider memory"]);
  });

  it("warns of volumes over 1 TiB when the policy copies to the vault store", async () => {
    const { vault, options, source } = await setup();
    const PVS = { group: "", version: "v1", resource: "persistentvolumes" };
    const [volume] = (await collect(source.list(PVS))).filter((pv) => (pv.spec as { claimRef?: { namespace?: string } }).claimRef?.namespace === "shop");
    await source.patch(PVS, volume!.metadata.name!, { spec: { capacity: { storage: "2Ti" } } }, { patchType: "merge" });
    expect(await vault.validateForProtection(options)).toEqual([]);
    await vault.createPolicy("aks", vaultTierPolicy());
    const findings = await vault.validateForProtection({ ...options, policyName: "aks" });
    expect(summary(findings)).toEqual([`Warning VolumeTooLargeForVault persistentvolumes/${volume!.metadata.name}`]);
  });

  it("reports backup hooks that are missing or do not parse", async () => {
    const { vault, options, source } = await setup({ includedNamespaces: ["shop"], backupHookReferences: [{ name: "db-hooks", namespace: "shop" }] });
    expect(summary(await vault.validateForProtection(options))).toEqual(["Error HookReferenceMissing BackupHook shop/db-hooks"]);
    for (const crd of hookCustomResourceDefinitions()) await source.create(CRDS, crd);
    expect(codes(await vault.validateForProtection(options))).toEqual(["HookReferenceMissing"]);
    await source.create(BACKUP_HOOKS, { ...backupHook(), spec: { backupHook: [{ name: "freeze", preHooks: [{ exec: { command: [] } }] }] } });
    expect(summary(await vault.validateForProtection(options))).toEqual(["Error HookReferenceInvalid BackupHook shop/db-hooks"]);
    await source.delete(BACKUP_HOOKS, "db-hooks", { namespace: "shop" });
    await source.create(BACKUP_HOOKS, backupHook());
    expect(await vault.validateForProtection(options)).toEqual([]);
  });

  it("reports included namespaces the cluster does not have, and resource types it does not serve", async () => {
    const { vault, options } = await setup({ includedNamespaces: ["shop", "nothing-here"] });
    expect(summary(await vault.validateForProtection(options))).toEqual(["Error NamespaceMissing namespaces/nothing-here"]);
    const types = await vault.validateForProtection({ ...options, datasourceParameters: { includedNamespaces: ["shop"], includedResourceTypes: ["gizmos.nowhere.io"] } });
    expect(summary(types)).toEqual(["Error SelectionInvalid datasourceParameters"]);
    expect(types[0]!.message).toMatch(/gizmos\.nowhere\.io/);
  });

  it("still rejects bad arguments with InvalidArgument, and an unknown policy with NotFound", async () => {
    const { vault, options } = await setup();
    await expect(vault.validateForProtection({ ...options, datasourceParameters: { includedNamespaces: ["Bad_Name"] } })).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(vault.validateForProtection({ ...options, policyName: "nope" })).rejects.toMatchObject({ code: "NotFound", field: "policyName" });
  });
});

describe("protect", () => {
  it("refuses with every Error at once, each with its remedy, and writes nothing", async () => {
    const { vault, options, source, store } = await setup({ includedNamespaces: ["shop", "nothing-here"], backupHookReferences: [{ name: "db-hooks", namespace: "shop" }] });
    source.setPermissions([{ verbs: ["get"], groups: ["*"], resources: ["*"] }]);
    const error = await vault.protect(options).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(isKBackupError(error, "PreconditionFailed")).toBe(true);
    const findings = (error as KBackupError).details?.findings as PreflightFinding[];
    expect(codes(errors(findings))).toEqual(["ClusterUnreachable", "HookReferenceMissing", "NamespaceMissing", "PermissionMissing"]);
    for (const finding of errors(findings)) {
      expect((error as Error).message).toContain(`[${finding.code}] ${finding.target}: ${finding.message} Remedy: ${finding.remedy}`);
    }
    expect(vault.listInstances()).toEqual([]);
    expect(await collect(store.list(""))).toEqual([]);
  });

  it("goes ahead with skipValidation, and with Warnings only", async () => {
    const broken = await setup({ includedNamespaces: ["nothing-here"] });
    await expect(broken.vault.protect(broken.options)).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect((await broken.vault.protect({ ...broken.options, skipValidation: true })).name).toBe("sample");
    const warned = await setup({ includedNamespaces: ["analytics"] });
    expect(codes(await warned.vault.validateForProtection(warned.options))).toEqual(["VolumeNotSnapshottable"]);
    expect((await warned.vault.protect(warned.options)).name).toBe("sample");
  });
});

describe("validateForBackup", () => {
  it("checks an instance with what is bound to it now", async () => {
    const { vault, options, source } = await setup();
    const instance = await vault.protect(options);
    expect(await instance.validateForBackup()).toEqual([]);
    source.setPermissions([{ verbs: ["get"], groups: ["*"], resources: ["*"] }]);
    expect(codes(await instance.validateForBackup())).toEqual(["ClusterUnreachable", "PermissionMissing"]);
    source.setPermissions([{ verbs: ["get", "list"], groups: [""], resources: ["*"] }]);
    const findings = await instance.validateForBackup();
    expect(codes(findings)).toEqual(["PermissionMissing"]);
    expect(findings.every((finding) => finding.target.includes("."))).toBe(true);
  });

  it("reports a cluster and a store the vault cannot resolve", async () => {
    const catalogue = new MemoryObjectStore();
    const source = await sampleCluster();
    const vault = await BackupVault.create(catalogue, { name: "vault" });
    await vault.protect({ name: "sample", cluster: source, operationalStore: new MemoryObjectStore(), datasourceParameters: { ...SHOP_ONLY, snapshotVolumes: false } });
    const reopened = await BackupVault.open(catalogue, { name: "vault" });
    const findings = await reopened.getInstance("sample")!.validateForBackup();
    expect(summary(findings)).toEqual(["Error ClusterUnreachable cluster aks-sample", "Error StoreUnreachable operationalStore"]);
    const bound = await BackupVault.open(catalogue, { name: "vault", clusters: [source], operationalStores: { default: new MemoryObjectStore() } });
    expect(await bound.getInstance("sample")!.validateForBackup()).toEqual([]);
  });
});

async function installBackupHook(source: MemoryCluster): Promise<void> {
  for (const crd of hookCustomResourceDefinitions()) await source.create(CRDS, crd);
  await source.create(BACKUP_HOOKS, backupHook());
}

function backupHook(): KubeObject {
  return {
    apiVersion: "clusterbackup.dataprotection.microsoft.com/v1alpha1",
    kind: "BackupHook",
    metadata: { name: "db-hooks", namespace: "shop" },
    spec: { backupHook: [{ name: "freeze", includedNamespaces: ["shop"], preHooks: [{ exec: { container: "postgres", command: ["sync"] } }] }] },
  };
}

/** The default policy without its Daily rule: everything stays in the operational store. */
function operationalOnlyPolicy(): unknown {
  const policy = aksDefaultPolicy() as unknown as { policyRules: Array<Record<string, any>> };
  policy.policyRules = policy.policyRules.filter((rule) => rule.name !== "Daily");
  policy.policyRules[0]!.trigger.taggingCriteria = [policy.policyRules[0]!.trigger.taggingCriteria[0]];
  return policy;
}
