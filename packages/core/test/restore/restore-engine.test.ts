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

/** `inner` for reading; every write throws, naming what was attempted. */
function readOnlyCluster(inner: MemoryCluster): ClusterClient {
  const refuse = (what: string) => async (): Promise<never> => {
    throw new Error(`A plan wrote to the target: ${what}.`);
  };
  return {
    identity: inner.identity,
    capabilities: inner.capabilities,
    discover: (options) => inner.discover(options),
    list: (resource, options) => inner.list(resource, options),
    get: (resource, name, options) => inner.get(resource, name, options),
    create: refuse("create"),
    patch: refuse("patch"),
    replace: refuse("replace"),
    delete: refuse("delete"),
    exec: refuse("exec"),
    waitForContainer: refuse("waitForContainer"),
  };
}

function readOnlyProvider(inner: SnapshotProvider): SnapshotProvider {
  const refuse = (what: string) => async (): Promise<never> => {
    throw new Error(`A plan wrote through the snapshot provider: ${what}.`);
  };
  return {
    name: inner.name,
    capabilities: inner.capabilities,
    canSnapshot: (volume, options) => inner.canSnapshot(volume, options),
    openSnapshot: (handle, options) => inner.openSnapshot(handle, options),
    createSnapshot: refuse("createSnapshot"),
    deleteSnapshot: refuse("deleteSnapshot"),
    createVolume: refuse("createVolume"),
  };
}

/** A target that already holds some of what the backup has, some of it different. */
async function busyTarget(): Promise<MemoryCluster> {
  const target = new MemoryCluster({ identity: { name: "target" } });
  await target.create(NAMESPACES, namespaceObject("shop", { owner: "target" }));
  await target.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-root-ca.crt", namespace: "shop" }, data: { "ca.crt": "another" } });
  return target;
}

const decisions = (items: RestoreItemResult[]) =>
  items.map((item) => `${item.kind} ${item.namespace ?? ""}/${item.name}: ${item.outcome}${item.patch ? ` ${JSON.stringify(item.patch)}` : ""}`).sort();

describe("planning a restore", () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ["everything, patching conflicts, with volume data", { includedNamespaces: ["shop", "analytics"] }, { conflictPolicy: "Patch" }],
    ["into mapped namespaces, without volume data", { includedNamespaces: ["shop", "analytics"] }, { namespaceMappings: { shop: "shop-copy", analytics: "reports" }, persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }],
    ["namespaced items only, skipping conflicts", { includedNamespaces: ["shop", "analytics"] }, { includeClusterScopeResources: false }],
  ];

  it.each(cases)("writes nothing and decides what the restore then does: %s", async (_, parameters, criteria) => {
    const from = await backup(parameters);
    const planTarget = await busyTarget();
    const plan = await restore(from, readOnlyCluster(planTarget), criteria, { mode: "plan", targetSnapshotProvider: readOnlyProvider(from.provider.forCluster(planTarget)) });
    expect(plan.items.filter((item) => item.reason?.startsWith("A plan wrote"))).toEqual([]);
    expect(await collect(planTarget.list(CONFIGMAPS))).toHaveLength(1);
    const restoreTarget = await busyTarget();
    const real = await restore(from, restoreTarget, criteria, { targetSnapshotProvider: from.provider.forCluster(restoreTarget) });
    expect(decisions(plan.items)).toEqual(decisions(real.items));
    expect(plan.warnings).toEqual(real.warnings);
    expect(real.items.filter((item) => item.outcome === "Failed")).toEqual([]);
  });
});

describe("items of a type the target does not serve", () => {
  it("fail as Unsupported in the plan and in the restore alike, the other items going ahead", async () => {
    const from = await backup({ includedNamespaces: ["analytics"], snapshotVolumes: false });
    // As for a type an aggregated API serves: the backup holds its objects but no CRD for it.
    const withoutCrds = { ...from, manifest: { ...from.manifest, items: from.manifest.items.filter((item) => item.kind !== "CustomResourceDefinition") } };
    const criteria = { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" };
    const planTarget = new MemoryCluster({ identity: { name: "target" } });
    const plan = await restore(withoutCrds, readOnlyCluster(planTarget), criteria, { mode: "plan" });
    const target = new MemoryCluster({ identity: { name: "target" } });
    const real = await restore(withoutCrds, target, criteria);
    for (const outcome of [plan, real]) {
      expect(find(outcome.items, "Widget", "sprocket")).toMatchObject([{ outcome: "Failed", reason: "The target cluster does not serve widgets.example.com." }]);
      expect(outcome.items.filter((item) => item.outcome === "Created").length).toBeGreaterThan(3);
    }
    expect(decisions(plan.items)).toEqual(decisions(real.items));
  });
});

describe("claims and their volumes", () => {
  const volumeItems = (items: RestoreItemResult[]) => items.filter((item) => item.kind === "PersistentVolume" || item.kind === "PersistentVolumeClaim");

  it("finds a free volume name when the backed-up one and the one derived from it are both taken", async () => {
    const from = await backup({ includedNamespaces: ["shop"] });
    const criteria = { includedResourceTypes: ["persistentvolumeclaims", "persistentvolumes"] };
    const volumeNames = new Set<string>();
    for (let round = 0; round < 3; round++) {
      // The claim is gone, the volumes it had (Retain) stay, as after a namespace was emptied by hand.
      await from.source.delete(PVCS, "data-postgres-0", { namespace: "shop" });
      const outcome = await restore(from, from.source, criteria, { targetSnapshotProvider: from.provider });
      expect(volumeItems(outcome.items).map((item) => `${item.kind}: ${item.outcome}`).sort()).toEqual(["PersistentVolume: Created", "PersistentVolumeClaim: Created"]);
      const claim = await from.source.get(PVCS, "data-postgres-0", { namespace: "shop" });
      const volumeName = (claim?.spec as { volumeName: string }).volumeName;
      expect(await from.source.get(PVS, volumeName)).toBeDefined();
      volumeNames.add(volumeName);
    }
    expect(volumeNames.size).toBe(3);
  });

  it("leaves a claim the target already has, and makes no volume for it", async () => {
    const from = await backup({ includedNamespaces: ["shop"] });
    const volumesBefore = (await collect(from.source.list(PVS))).length;
    const outcome = await restore(from, from.source, { includedResourceTypes: ["persistentvolumeclaims"] }, { targetSnapshotProvider: from.provider });
    expect(volumeItems(outcome.items)).toMatchObject([{ kind: "PersistentVolumeClaim", name: "data-postgres-0", outcome: "Skipped" }]);
    expect(await collect(from.source.list(PVS))).toHaveLength(volumesBefore);
    expect(outcome.volumesRestored).toBe(0);
  });

  it("restores claims for dynamic provisioning, with no volume, under RestoreWithoutVolumeData", async () => {
    const from = await backup({ includedNamespaces: ["shop"] });
    const target = new MemoryCluster({ identity: { name: "target" } });
    const outcome = await restore(from, target, { includedResourceTypes: ["persistentvolumeclaims", "persistentvolumes"], persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    expect(volumeItems(outcome.items)).toMatchObject([{ kind: "PersistentVolumeClaim", outcome: "Created" }]);
    expect(outcome.volumesRestored).toBe(0);
    expect(await collect(target.list(PVS))).toEqual([]);
    const claim = await target.get(PVCS, "data-postgres-0", { namespace: "shop" });
    expect((claim?.spec as { volumeName?: string }).volumeName).toBeUndefined();
  });
});

/**
 * `inner`, except that discovery shows the type of a CRD created through it only from the
 * `lagInCalls`-th discovery after its creation, as an API server does once the CRD is established.
 */
function slowToEstablish(inner: MemoryCluster, lagInCalls: number): ClusterClient & { discoveries: number } {
  const pending = new Map<string, number>();
  const wrapper = {
    identity: inner.identity,
    capabilities: inner.capabilities,
    discoveries: 0,
    discover: async (options?: Parameters<ClusterClient["discover"]>[0]) => {
      wrapper.discoveries++;
      for (const [name, left] of pending) left <= 1 ? pending.delete(name) : pending.set(name, left - 1);
      return (await inner.discover(options)).filter((type) => !pending.has(`${type.resource}.${type.group}`));
    },
    list: (resource, options) => inner.list(resource, options),
    get: (resource, name, options) => inner.get(resource, name, options),
    create: async (resource, object, options) => {
      const created = await inner.create(resource, object, options);
      if (resource.resource === "customresourcedefinitions") pending.set(object.metadata.name ?? "", lagInCalls);
      return created;
    },
    patch: (resource, name, patch, options) => inner.patch(resource, name, patch, options),
    replace: (resource, object, options) => inner.replace(resource, object, options),
    delete: (resource, name, options) => inner.delete(resource, name, options),
    exec: (pod, container, argv, options) => inner.exec(pod, container, argv, options),
    waitForContainer: (pod, container, options) => inner.waitForContainer(pod, container, options),
  } satisfies ClusterClient & { discoveries: number };
  return wrapper;
}

describe("custom resources whose CRD the restore creates", () => {
  const instantClock = { now: () => new Date(), sleep: async () => undefined };

  it("are created once the target serves their type, though it takes a few discoveries", async () => {
    const from = await backup({ includedNamespaces: ["analytics"], snapshotVolumes: false });
    const target = slowToEstablish(new MemoryCluster({ identity: { name: "target" } }), 3);
    const outcome = await restore(from, target, { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }, { clock: instantClock });
    expect(find(outcome.items, "CustomResourceDefinition", "widgets.example.com")).toMatchObject([{ outcome: "Created" }]);
    expect(find(outcome.items, "Widget", "sprocket")).toMatchObject([{ outcome: "Created" }]);
  });

  it("fail as Unsupported when the type is not served in time, without holding up the rest", async () => {
    const from = await backup({ includedNamespaces: ["analytics"], snapshotVolumes: false });
    const target = slowToEstablish(new MemoryCluster({ identity: { name: "target" } }), Number.POSITIVE_INFINITY);
    let now = Date.now();
    const clock = { now: () => new Date(now), sleep: async (ms: number) => void (now += ms) };
    const outcome = await restore(from, target, { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }, { clock });
    expect(find(outcome.items, "Widget", "sprocket")).toMatchObject([{ outcome: "Failed", reason: "The target cluster does not serve widgets.example.com." }]);
    expect(target.discoveries).toBeLessThan(200);
    expect(find(outcome.items, "ConfigMap", "kube-root-ca.crt")).toMatchObject([{ outcome: "Created" }]);
  });
});

describe("a namespace mapped to another name", () => {
  it("carries the name label of its new name, so that namespace selectors find it", async () => {
    const from = await backup({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const target = new MemoryCluster({ identity: { name: "target" } });
    await restore(from, target, { namespaceMappings: { shop: "shop-copy" }, persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    expect((await target.get(NAMESPACES, "shop-copy"))?.metadata.labels?.["kubernetes.io/metadata.name"]).toBe("shop-copy");
    const again = await restore(from, target, { namespaceMappings: { shop: "shop-copy" }, conflictPolicy: "Patch", persistentVolumeRestoreMode: "RestoreWithoutVolumeData" });
    expect(find(again.items, "Namespace", "shop-copy")).toMatchObject([{ outcome: "Skipped", reason: "It already exists with the backed-up values." }]);
  });
});

describe("restore arguments", () => {
  it.each([0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN])("refuses a concurrency of %s as InvalidArgument before writing anything", async (concurrency) => {
    const from = await backup({ includedNamespaces: ["blog"], snapshotVolumes: false });
    const target = new MemoryCluster({ identity: { name: "target" } });
    await expect(restore(from, target, {}, { concurrency })).rejects.toMatchObject({ name: "KBackupError", code: "InvalidArgument", field: "concurrency" });
    expect(await collect(target.list(NAMESPACES))).toHaveLength(0);
  });
});
