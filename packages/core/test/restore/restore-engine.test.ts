import { describe, expect, it } from "vitest";
import {
  collect,
  newRecoveryPointId,
  parseBackupDatasourceParameters,
  parseRestoreCriteria,
  recoveryPointKeys,
  runBackup,
  runRestore,
  type ClusterClient,
  type KubeObject,
  type RecoveryPointManifest,
  type RestoreItemResult,
  type RestoreRequest,
  type SnapshotProvider,
} from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { faultyCluster, sampleCluster } from "@kbackup/testing";

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };
const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" };
const PVCS = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const PVS = { group: "", version: "v1", resource: "persistentvolumes" };

interface Backup {
  source: MemoryCluster;
  provider: MemorySnapshotProvider;
  store: MemoryObjectStore;
  manifest: RecoveryPointManifest;
  archiveKey: string;
}

/** A recovery point of the sample cluster in a memory store. */
async function backup(parameters: Record<string, unknown>): Promise<Backup> {
  const source = await sampleCluster();
  const provider = new MemorySnapshotProvider(source);
  const store = new MemoryObjectStore();
  const id = newRecoveryPointId(new Date());
  const { manifest } = await runBackup({ backupInstanceName: "sample", recoveryPointId: id, cluster: source, snapshotProvider: provider, store, instancePrefix: "", parameters: parseBackupDatasourceParameters(parameters) });
  return { source, provider, store, manifest, archiveKey: recoveryPointKeys("", id).archive };
}

function restore(from: Backup, target: ClusterClient, criteria: Record<string, unknown>, extra: Partial<RestoreRequest> = {}) {
  return runRestore({ manifest: from.manifest, store: from.store, archiveKey: from.archiveKey, targetCluster: target, criteria: parseRestoreCriteria(criteria), mode: "restore", ...extra });
}

const find = (items: RestoreItemResult[], kind: string, name: string) => items.filter((item) => item.kind === kind && item.name === name);
const namespaceObject = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });

describe("restoring a backed-up namespace", () => {
  it("records a namespace the target already has as skipped under conflictPolicy Skip", async () => {
    const from = await backup({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const target = new MemoryCluster({ identity: { name: "target" } });
    await target.create(NAMESPACES, namespaceObject("shop", { owner: "target" }));
    const outcome = await restore(from, target, { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    expect(find(outcome.items, "Namespace", "shop")).toMatchObject([{ outcome: "Skipped" }]);
  });

  it("patches the backed-up labels into a namespace the target already has under conflictPolicy Patch, keeping its own", async () => {
    const from = await backup({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const target = new MemoryCluster({ identity: { name: "target" } });
    await target.create(NAMESPACES, namespaceObject("shop", { owner: "target" }));
    const outcome = await restore(from, target, { conflictPolicy: "Patch", persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    expect(find(outcome.items, "Namespace", "shop")).toMatchObject([{ outcome: "Patched" }]);
    const live = await target.get(NAMESPACES, "shop");
    expect(live?.metadata.labels).toMatchObject({ owner: "target", "app.kubernetes.io/part-of": "shop" });
  });

  it("applies resource modifiers to the namespace as to any item", async () => {
    const from = await backup({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const target = new MemoryCluster({ identity: { name: "target" } });
    const outcome = await restore(from, target, { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }, {
      modify: (object) => ({ object: { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, restored: "yes" } } }, appliedRules: [0], warnings: [] }),
    });
    expect((await target.get(NAMESPACES, "shop"))?.metadata.labels).toMatchObject({ restored: "yes" });
    expect(find(outcome.items, "Namespace", "shop")).toMatchObject([{ outcome: "Created", appliedRules: [0] }]);
    expect(find(outcome.items, "ConfigMap", "kube-root-ca.crt")).toMatchObject([{ outcome: "Created", namespace: "shop" }]);
  });

  it("records a mapped namespace once, under its new name, and its items with the namespace they came from", async () => {
    const from = await backup({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const target = new MemoryCluster({ identity: { name: "target" } });
    const outcome = await restore(from, target, { namespaceMappings: { shop: "shop-copy" }, persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    expect(outcome.items.filter((item) => item.kind === "Namespace")).toMatchObject([{ name: "shop-copy", outcome: "Created", reason: "Mapped from namespace shop." }]);
    const configMap = find(outcome.items, "ConfigMap", "kube-root-ca.crt");
    expect(configMap).toMatchObject([{ namespace: "shop-copy", sourceNamespace: "shop", outcome: "Created" }]);
    expect(await target.get(CONFIGMAPS, "kube-root-ca.crt", { namespace: "shop-copy" })).toBeDefined();
  });
});

describe("a namespace the target refuses", () => {
  it("fails every item of it with a reason that names the namespace, asking the target once more at most", async () => {
    const from = await backup({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const isNamespaceCreate = (call: { args: readonly unknown[] }) => (call.args[0] as { resource?: string }).resource === "namespaces";
    const target = faultyCluster(new MemoryCluster({ identity: { name: "target" } }), [{ operation: "create", when: isNamespaceCreate, times: Number.POSITIVE_INFINITY, action: { fail: "PermissionDenied" } }]);
    const outcome = await restore(from, target, { includeClusterScopeResources: false, persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    const inShop = outcome.items.filter((item) => item.namespace === "shop");
    expect(inShop.length).toBeGreaterThan(10);
    for (const item of inShop) {
      expect(item.outcome).toBe("Failed");
      expect(item.reason).toMatch(/namespace shop/i);
    }
    expect(target.calls.filter((call) => call.operation === "create" && isNamespaceCreate(call)).length).toBeLessThanOrEqual(2);
  });
});
