import { describe, expect, it } from "vitest";
import { collect, isKBackupError, type KBackupErrorCode, type KubeObject, type ResourceRef } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { ManualClock } from "@kbackup/testing";

const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const CONFIG_MAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };
const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const DEPLOYMENTS: ResourceRef = { group: "apps", version: "v1", resource: "deployments" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };
const CLUSTER_ROLES: ResourceRef = { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles" };
const CRDS: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" };

function namespace(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

function configMap(ns: string, name: string, data: Record<string, string> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, ...metadata }, data };
}

function pod(ns: string, name: string, containers = ["main"]): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec: { containers: containers.map((container) => ({ name: container, image: "example.invalid/app:1" })) } };
}

function deployment(ns: string, name: string, image = "example.invalid/app:1"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } } },
    status: { replicas: 7 },
  };
}

function gizmoCrd(): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "gizmos.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "gizmos", singular: "gizmo", kind: "Gizmo", shortNames: ["gz"] },
      versions: [
        { name: "v1beta1", served: true, storage: false },
        { name: "v1", served: true, storage: true, subresources: { status: {} } },
      ],
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<KBackupErrorCode | "resolved" | "other"> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return isKBackupError(error) ? error.code : "other";
  }
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; field: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isKBackupError(error)) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error("expected a KBackupError");
}

async function clusterWith(...namespaces: string[]): Promise<MemoryCluster> {
  const cluster = new MemoryCluster();
  cluster.load(namespaces.map(namespace));
  return cluster;
}

describe("discovery", () => {
  it("lists the built-in types with their scope, short names and subresources", async () => {
    const resources = await new MemoryCluster().discover();
    const find = (group: string, resource: string) => resources.find((candidate) => candidate.group === group && candidate.resource === resource);
    expect(find("", "pods")).toMatchObject({ kind: "Pod", version: "v1", namespaced: true, shortNames: ["po"] });
    expect(find("", "pods")?.subresources).toEqual(expect.arrayContaining(["exec", "log", "status"]));
    expect(find("apps", "statefulsets")).toMatchObject({ kind: "StatefulSet", namespaced: true, subresources: ["scale", "status"], shortNames: ["sts"] });
    expect(find("storage.k8s.io", "storageclasses")).toMatchObject({ kind: "StorageClass", namespaced: false, shortNames: ["sc"] });
    expect(find("snapshot.storage.k8s.io", "volumesnapshotcontents")).toMatchObject({ kind: "VolumeSnapshotContent", namespaced: false });
    expect(find("rbac.authorization.k8s.io", "clusterrolebindings")?.namespaced).toBe(false);
    expect(find("batch", "cronjobs")).toMatchObject({ kind: "CronJob", shortNames: ["cj"] });
    expect(resources).toHaveLength(39);
  });

  it("serves a CRD's type at its storage version, accepts its other served versions, and drops it with the CRD", async () => {
    const cluster = await clusterWith("shop");
    await cluster.create(CRDS, gizmoCrd());
    const crd = await cluster.get(CRDS, "gizmos.example.com");
    expect((crd?.["status"] as { conditions: Array<{ type: string; status: string }> }).conditions).toContainEqual(expect.objectContaining({ type: "Established", status: "True" }));
    const served = (await cluster.discover()).find((resource) => resource.group === "example.com");
    expect(served).toEqual({ group: "example.com", version: "v1", resource: "gizmos", kind: "Gizmo", namespaced: true, verbs: expect.arrayContaining(["list", "create"]), subresources: ["status"], shortNames: ["gz"] });

    const beta: ResourceRef = { group: "example.com", version: "v1beta1", resource: "gizmos" };
    const v1: ResourceRef = { ...beta, version: "v1" };
    await cluster.create(beta, { apiVersion: "example.com/v1beta1", kind: "Gizmo", metadata: { name: "g", namespace: "shop" }, spec: { size: 1 } });
    expect((await cluster.get(v1, "g", { namespace: "shop" }))?.apiVersion).toBe("example.com/v1");
    expect((await collect(cluster.list(beta)))[0]?.apiVersion).toBe("example.com/v1beta1");
    expect(await codeOf(cluster.get({ ...beta, version: "v2" }, "g", { namespace: "shop" }))).toBe("NotFound");

    expect(await cluster.delete(CRDS, "gizmos.example.com")).toBe(true);
    expect((await cluster.discover()).some((resource) => resource.group === "example.com")).toBe(false);
    expect(await codeOf(cluster.get(v1, "g", { namespace: "shop" }))).toBe("NotFound");
    await cluster.create(CRDS, gizmoCrd());
    expect(await collect(cluster.list(v1))).toEqual([]);
  });

  it("refuses a CRD whose name does not match its names and group", async () => {
    const cluster = new MemoryCluster();
    const crd = gizmoCrd();
    crd.metadata.name = "gizmo.example.com";
    expect(await errorOf(cluster.create(CRDS, crd))).toMatchObject({ code: "InvalidArgument", field: "object.metadata.name" });
  });
});

describe("create", () => {
  it("sets uid, an increasing resourceVersion, creationTimestamp from the clock and generation 1, replacing the client's", async () => {
    const clock = new ManualClock("2025-03-01T10:00:00.000Z");
    const cluster = new MemoryCluster({ clock });
    cluster.load([namespace("app")]);
    const first = await cluster.create(CONFIG_MAPS, configMap("app", "a", {}, { uid: "client-uid", resourceVersion: "999" }));
    const second = await cluster.create(CONFIG_MAPS, configMap("app", "b"));
    expect(first.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.metadata.uid).not.toBe("client-uid");
    expect(Number(second.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
    expect(first.metadata.creationTimestamp).toBe("2025-03-01T10:00:00Z");
    expect(first.metadata.generation).toBe(1);
  });

  it("drops the status of types with a status subresource, and gives namespaces theirs", async () => {
    const cluster = await clusterWith("app");
    const created = await cluster.create(DEPLOYMENTS, deployment("app", "web"));
    expect(created["status"]).toBeUndefined();
    const ns = await cluster.create(NAMESPACES, namespace("other"));
    expect(ns["status"]).toEqual({ phase: "Active" });
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "other" });
  });

  it("checks apiVersion, kind, names and namespaces, naming the field", async () => {
    const cluster = await clusterWith("app");
    expect(await errorOf(cluster.create(CONFIG_MAPS, { ...configMap("app", "x"), apiVersion: "apps/v1" }))).toMatchObject({ code: "InvalidArgument", field: "object.apiVersion" });
    expect(await errorOf(cluster.create(CONFIG_MAPS, { ...configMap("app", "x"), kind: "Secret" }))).toMatchObject({ code: "InvalidArgument", field: "object.kind" });
    expect(await errorOf(cluster.create(CONFIG_MAPS, configMap("app", "UPPER")))).toMatchObject({ code: "InvalidArgument", field: "object.metadata.name" });
    expect(await errorOf(cluster.create(CONFIG_MAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }))).toMatchObject({
      code: "InvalidArgument",
      field: "object.metadata.namespace",
    });
    expect(await errorOf(cluster.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", namespace: "app" } }))).toMatchObject({
      code: "InvalidArgument",
      field: "object.metadata.namespace",
    });
    expect(await errorOf(cluster.create(NAMESPACES, namespace("has.dot")))).toMatchObject({ code: "InvalidArgument", field: "object.metadata.name" });
    expect(await codeOf(cluster.create(CONFIG_MAPS, configMap("nowhere", "x")))).toBe("NotFound");
    expect(await codeOf(cluster.create({ group: "", version: "v1", resource: "widgets" }, configMap("app", "x")))).toBe("NotFound");
  });

  it("accepts RBAC names with colons, as Kubernetes does", async () => {
    const cluster = new MemoryCluster();
    const role = await cluster.create(CLUSTER_ROLES, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "system:aggregate-to-view" }, rules: [] });
    expect(role.metadata.name).toBe("system:aggregate-to-view");
  });

  it("writes nothing on a dry run", async () => {
    const cluster = await clusterWith("app");
    const dry = await cluster.create(CONFIG_MAPS, configMap("app", "dry", { a: "1" }), { dryRun: true });
    expect(dry["data"]).toEqual({ a: "1" });
    expect(await cluster.get(CONFIG_MAPS, "dry", { namespace: "app" })).toBeUndefined();
  });
});

describe("updates", () => {
  it("bumps generation for spec changes only, and keeps a no-op update's resourceVersion", async () => {
    const cluster = await clusterWith("app");
    const created = await cluster.create(DEPLOYMENTS, deployment("app", "web"));
    const same = await cluster.patch(DEPLOYMENTS, "web", { spec: { replicas: 1 } }, { namespace: "app", patchType: "merge" });
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const scaled = await cluster.patch(DEPLOYMENTS, "web", { spec: { replicas: 3 } }, { namespace: "app", patchType: "merge" });
    expect(scaled.metadata.generation).toBe(2);
    const labelled = await cluster.patch(DEPLOYMENTS, "web", { metadata: { labels: { a: "b" } } }, { namespace: "app", patchType: "merge" });
    expect(labelled.metadata.generation).toBe(2);
    expect(labelled.metadata.uid).toBe(created.metadata.uid);
    expect(labelled.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
  });

  it("keeps status out of main-resource updates and spec out of status patches", async () => {
    const cluster = await clusterWith("app");
    await cluster.create(DEPLOYMENTS, deployment("app", "web"));
    const patched = await cluster.patch(DEPLOYMENTS, "web", { status: { replicas: 9 }, spec: { replicas: 2 } }, { namespace: "app", patchType: "merge" });
    expect(patched["status"]).toBeUndefined();
    expect((patched["spec"] as { replicas: number }).replicas).toBe(2);
    const status = await cluster.patch(DEPLOYMENTS, "web", { status: { replicas: 9 }, spec: { replicas: 5 } }, { namespace: "app", patchType: "merge", subresource: "status" });
    expect(status["status"]).toEqual({ replicas: 9 });
    expect((status["spec"] as { replicas: number }).replicas).toBe(2);
  });

  it("refuses patches that rename, unknown subresources, and strategic patches of custom resources", async () => {
    const cluster = await clusterWith("app");
    await cluster.create(CONFIG_MAPS, configMap("app", "c", { a: "1" }));
    expect(await errorOf(cluster.patch(CONFIG_MAPS, "c", { metadata: { name: "d" } }, { namespace: "app", patchType: "merge" }))).toMatchObject({ code: "InvalidArgument", field: "patch" });
    expect(await codeOf(cluster.patch(CONFIG_MAPS, "c", {}, { namespace: "app", patchType: "merge", subresource: "status" }))).toBe("NotFound");
    await cluster.create(DEPLOYMENTS, deployment("app", "web"));
    expect(await codeOf(cluster.patch(DEPLOYMENTS, "web", {}, { namespace: "app", patchType: "merge", subresource: "scale" }))).toBe("Unsupported");
    expect(await codeOf(cluster.patch(CONFIG_MAPS, "c", [{ op: "test", path: "/data/a", value: "2" }], { namespace: "app", patchType: "json" }))).toBe("PreconditionFailed");
    expect(await codeOf(cluster.patch(CONFIG_MAPS, "c", { data: {} }, { namespace: "app", patchType: "json" }))).toBe("InvalidArgument");
    await cluster.create(CRDS, gizmoCrd());
    const gizmos: ResourceRef = { group: "example.com", version: "v1", resource: "gizmos" };
    await cluster.create(gizmos, { apiVersion: "example.com/v1", kind: "Gizmo", metadata: { name: "g", namespace: "app" } });
    expect(await codeOf(cluster.patch(gizmos, "g", { spec: {} }, { namespace: "app", patchType: "strategic" }))).toBe("Unsupported");
  });

  it("replace with another uid is Conflict", async () => {
    const cluster = await clusterWith("app");
    const created = await cluster.create(CONFIG_MAPS, configMap("app", "c"));
    expect(await codeOf(cluster.replace(CONFIG_MAPS, { ...created, metadata: { ...created.metadata, uid: "another" } }))).toBe("Conflict");
  });
});

describe("deletion", () => {
  it("holds an object with a foreign finalizer until an update removes it; completes Kubernetes' own at once", async () => {
    const cluster = await clusterWith("app");
    await cluster.create(CONFIG_MAPS, configMap("app", "held", {}, { finalizers: ["example.com/cleanup", "kubernetes.io/pvc-protection"] }));
    expect(await cluster.delete(CONFIG_MAPS, "held", { namespace: "app" })).toBe(true);
    const held = await cluster.get(CONFIG_MAPS, "held", { namespace: "app" });
    expect(held?.metadata.deletionTimestamp).toBeDefined();
    expect(held?.metadata.finalizers).toEqual(["example.com/cleanup"]);
    expect(await cluster.delete(CONFIG_MAPS, "held", { namespace: "app" })).toBe(true);
    await cluster.patch(CONFIG_MAPS, "held", { metadata: { finalizers: null } }, { namespace: "app", patchType: "merge" });
    expect(await cluster.get(CONFIG_MAPS, "held", { namespace: "app" })).toBeUndefined();

    await cluster.create(CONFIG_MAPS, configMap("app", "protected", {}, { finalizers: ["kubernetes.io/pvc-protection"] }));
    await cluster.delete(CONFIG_MAPS, "protected", { namespace: "app" });
    expect(await cluster.get(CONFIG_MAPS, "protected", { namespace: "app" })).toBeUndefined();
  });

  it("deletes a namespace with its objects; a held object keeps it Terminating, refusing new objects", async () => {
    const cluster = await clusterWith("app", "other");
    await cluster.create(CONFIG_MAPS, configMap("app", "a"));
    await cluster.create(DEPLOYMENTS, deployment("app", "web"));
    await cluster.create(CONFIG_MAPS, configMap("other", "kept"));
    await cluster.create(CONFIG_MAPS, configMap("app", "held", {}, { finalizers: ["example.com/cleanup"] }));
    expect(await cluster.delete(NAMESPACES, "app")).toBe(true);
    expect(await cluster.get(DEPLOYMENTS, "web", { namespace: "app" })).toBeUndefined();
    expect(await cluster.get(CONFIG_MAPS, "a", { namespace: "app" })).toBeUndefined();
    expect((await cluster.get(NAMESPACES, "app"))?.["status"]).toEqual({ phase: "Terminating" });
    expect(await codeOf(cluster.create(CONFIG_MAPS, configMap("app", "late")))).toBe("PermissionDenied");
    await cluster.patch(CONFIG_MAPS, "held", { metadata: { finalizers: [] } }, { namespace: "app", patchType: "merge" });
    expect(await cluster.get(NAMESPACES, "app")).toBeUndefined();
    expect(await cluster.get(CONFIG_MAPS, "kept", { namespace: "other" })).toBeDefined();
    await cluster.create(NAMESPACES, namespace("app"));
    expect(await collect(cluster.list(CONFIG_MAPS, { namespace: "app" }))).toEqual([]);
  });
});

describe("list", () => {
  it("orders by namespace, then name, across namespaces whose names prefix each other", async () => {
    const cluster = await clusterWith("a", "a-b", "b");
    cluster.load([configMap("b", "x"), configMap("a-b", "y"), configMap("a", "z"), configMap("a", "m")]);
    const listed = await collect(cluster.list(CONFIG_MAPS));
    expect(listed.map((item) => `${item.metadata.namespace}/${item.metadata.name}`)).toEqual(["a/m", "a/z", "a-b/y", "b/x"]);
    expect((await collect(cluster.list(CONFIG_MAPS, { namespace: "a" }))).map((item) => item.metadata.name)).toEqual(["m", "z"]);
  });

  it("expires continuation tokens after listTokenTtlInMs of the clock", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock, listTokenTtlInMs: 60_000 });
    cluster.load([namespace("app"), ...Array.from({ length: 10 }, (_, index) => configMap("app", `c${index}`))]);
    const [first] = await collect(cluster.list(CONFIG_MAPS).byPage({ maxPageSize: 3 })).then((pages) => pages);
    const token = first?.continuationToken as string;
    await clock.advance(59_000);
    const resumed = await collect(cluster.list(CONFIG_MAPS).byPage({ maxPageSize: 3, continuationToken: token }));
    expect(resumed.flatMap((page) => page.items)).toHaveLength(7);
    await clock.advance(1_000);
    expect(await codeOf(collect(cluster.list(CONFIG_MAPS).byPage({ continuationToken: token })))).toBe("Expired");
  });

  it("refuses a malformed token, a token of another list, and bad page sizes and selectors", async () => {
    const cluster = await clusterWith("app", "other");
    cluster.load(Array.from({ length: 5 }, (_, index) => configMap("app", `c${index}`)));
    const [first] = await collect(cluster.list(CONFIG_MAPS, { namespace: "app" }).byPage({ maxPageSize: 2 }));
    const token = first?.continuationToken as string;
    expect(await errorOf(collect(cluster.list(CONFIG_MAPS).byPage({ continuationToken: "garbage" })))).toMatchObject({ code: "InvalidArgument", field: "continuationToken" });
    expect(await codeOf(collect(cluster.list(CONFIG_MAPS, { namespace: "other" }).byPage({ continuationToken: token })))).toBe("InvalidArgument");
    expect(await codeOf(collect(cluster.list(CONFIG_MAPS).byPage({ maxPageSize: 0 })))).toBe("InvalidArgument");
    expect(await errorOf(collect(cluster.list(CONFIG_MAPS, { fieldSelector: "spec.x=1" })))).toMatchObject({ code: "InvalidArgument", field: "fieldSelector" });
    expect(await errorOf(collect(cluster.list(CONFIG_MAPS, { labelSelector: "a in (" })))).toMatchObject({ code: "InvalidArgument", field: "options.labelSelector" });
    expect(await codeOf(collect(cluster.list(NAMESPACES, { namespace: "app" })))).toBe("InvalidArgument");
  });

  it("gives no token when the rest of the list does not match", async () => {
    const cluster = await clusterWith("app");
    cluster.load([configMap("app", "a", {}, { labels: { x: "1" } }), configMap("app", "b", {}, { labels: { x: "1" } }), configMap("app", "c"), configMap("app", "d")]);
    const pages = await collect(cluster.list(CONFIG_MAPS, { labelSelector: "x=1" }).byPage({ maxPageSize: 2 }));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.continuationToken).toBeUndefined();
  });

  it("lists 20,000 loaded objects in pages that add up to all of them", async () => {
    const cluster = await clusterWith("bulk");
    cluster.load(Array.from({ length: 20_000 }, (_, index) => configMap("bulk", `cm-${String(index).padStart(5, "0")}`, { value: "x".repeat(100) })));
    const names: string[] = [];
    for await (const page of cluster.list(CONFIG_MAPS).byPage({ maxPageSize: 500 })) names.push(...page.items.map((item) => item.metadata.name as string));
    expect(names).toHaveLength(20_000);
    expect(names.every((name, index) => name === `cm-${String(index).padStart(5, "0")}`)).toBe(true);
  });
});

describe("load", () => {
  it("keeps fixtures' uids, timestamps and status, and stores nothing when any object is bad", async () => {
    const cluster = new MemoryCluster();
    const fixture = { ...deployment("app", "web"), metadata: { name: "web", namespace: "app", uid: "fixed-uid", creationTimestamp: "2024-01-01T00:00:00Z" } };
    cluster.load([fixture, namespace("app")]);
    const stored = await cluster.get(DEPLOYMENTS, "web", { namespace: "app" });
    expect(stored?.metadata).toMatchObject({ uid: "fixed-uid", creationTimestamp: "2024-01-01T00:00:00Z", generation: 1 });
    expect(stored?.["status"]).toEqual({ replicas: 7 });

    expect(() => cluster.load([configMap("app", "fine"), configMap("app", "Bad Name")])).toThrow(expect.objectContaining({ code: "InvalidArgument", field: "objects[1].metadata.name" }));
    expect(() => cluster.load([configMap("missing", "x")])).toThrow(expect.objectContaining({ code: "NotFound" }));
    expect(() => cluster.load([configMap("app", "twice"), configMap("app", "twice")])).toThrow(expect.objectContaining({ code: "AlreadyExists" }));
    expect(() => cluster.load([{ apiVersion: "v9", kind: "Thing", metadata: { name: "t" } }])).toThrow(expect.objectContaining({ code: "NotFound" }));
    expect(await cluster.get(CONFIG_MAPS, "fine", { namespace: "app" })).toBeUndefined();
  });

  it("loads custom resources with their CRD in one call", async () => {
    const cluster = await clusterWith("app");
    cluster.load([{ apiVersion: "example.com/v1", kind: "Gizmo", metadata: { name: "g", namespace: "app" } }, gizmoCrd()]);
    expect(await cluster.get({ group: "example.com", version: "v1", resource: "gizmos" }, "g", { namespace: "app" })).toBeDefined();
  });
});

describe("latency", () => {
  it("delays each call by one round trip on the clock, and load not at all", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock, latencyInMs: 100 });
    cluster.load([namespace("app"), configMap("app", "c")]);
    let done = false;
    const read = cluster.get(CONFIG_MAPS, "c", { namespace: "app" }).then((object) => {
      done = true;
      return object;
    });
    await clock.untilSleeping();
    expect(done).toBe(false);
    await clock.advance(100);
    expect((await read)?.metadata.name).toBe("c");
    const controller = new AbortController();
    const aborted = codeOf(cluster.get(CONFIG_MAPS, "c", { namespace: "app", abortSignal: controller.signal }));
    await clock.untilSleeping();
    controller.abort();
    expect(await aborted).toBe("Aborted");
  });
});

describe("pods and exec", () => {
  it("starts pods after podStartupDelayInMs, waking waiters on the clock", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock, podStartupDelayInMs: 5_000 });
    cluster.load([namespace("app")]);
    const created = await cluster.create(PODS, pod("app", "p"));
    expect((created["status"] as { phase: string }).phase).toBe("Pending");
    let ready = false;
    const waiting = cluster.waitForContainer({ namespace: "app", name: "p" }, "main", { condition: "ready" }).then(() => (ready = true));
    await clock.untilSleeping();
    await clock.advance(4_999);
    expect(ready).toBe(false);
    await clock.advance(1);
    await waiting;
    const status = (await cluster.get(PODS, "p", { namespace: "app" }))?.["status"] as Record<string, unknown>;
    expect(status["phase"]).toBe("Running");
    expect(status["conditions"]).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    expect(status["containerStatuses"]).toEqual([expect.objectContaining({ name: "main", ready: true, state: { running: expect.any(Object) } })]);
  });

  it("shows a pod running to any call made after its startup delay", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock, podStartupDelayInMs: 1_000 });
    cluster.load([namespace("app"), pod("app", "loaded")]);
    await clock.advance(1_000);
    expect(((await cluster.get(PODS, "loaded", { namespace: "app" }))?.["status"] as { phase: string }).phase).toBe("Running");
  });

  it("wakes a waiter when setPodState makes the container ready, and fails it when the pod goes", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock });
    cluster.load([namespace("app")]);
    await cluster.create(PODS, pod("app", "p"));
    cluster.setPodState({ namespace: "app", name: "p" }, { phase: "Running", ready: false });
    const waiting = cluster.waitForContainer({ namespace: "app", name: "p" }, "main", { condition: "ready", timeoutInMs: 60_000 });
    await clock.untilSleeping();
    await expect(cluster.waitForContainer({ namespace: "app", name: "p" }, "main", { condition: "running" })).resolves.toBeUndefined();
    cluster.setPodState({ namespace: "app", name: "p" }, { phase: "Running" });
    await waiting;

    cluster.setPodState({ namespace: "app", name: "p" }, { phase: "Pending" });
    const gone = codeOf(cluster.waitForContainer({ namespace: "app", name: "p" }, "main", { condition: "running" }));
    await cluster.delete(PODS, "p", { namespace: "app" });
    expect(await gone).toBe("NotFound");
  });

  it("times a wait out on the clock", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock });
    cluster.load([namespace("app")]);
    await cluster.create(PODS, pod("app", "p"));
    cluster.setPodState({ namespace: "app", name: "p" }, { phase: "Pending" });
    const waiting = codeOf(cluster.waitForContainer({ namespace: "app", name: "p" }, "main", { condition: "running", timeoutInMs: 1_000 }));
    await clock.untilSleeping();
    await clock.advance(1_000);
    expect(await waiting).toBe("Timeout");
  });

  it("runs the most recently registered matching handler, with a copy of the pod and the argv as given", async () => {
    const cluster = await clusterWith("app");
    await cluster.create(PODS, pod("app", "p", ["main", "sidecar"]));
    const calls: Array<{ container: string; argv: readonly string[]; podName: string | undefined }> = [];
    cluster.onExec(() => ({ exitCode: 1, stdout: "general", stderr: "" }));
    cluster.onExec(({ pod: target, container, argv }) => {
      calls.push({ container, argv, podName: target.metadata.name });
      return { exitCode: 0, stdout: "sidecar", stderr: "" };
    }, { container: "sidecar" });
    const remove = cluster.onExec(() => ({ exitCode: 2, stdout: "other ns", stderr: "" }), { namespace: "elsewhere" });
    expect(await cluster.exec({ namespace: "app", name: "p" }, "main", ["x"])).toEqual({ exitCode: 1, stdout: "general", stderr: "" });
    expect(await cluster.exec({ namespace: "app", name: "p" }, "sidecar", ["sh", "-c", "echo $HOME"])).toEqual({ exitCode: 0, stdout: "sidecar", stderr: "" });
    expect(calls).toEqual([{ container: "sidecar", argv: ["sh", "-c", "echo $HOME"], podName: "p" }]);
    remove();
  });

  it("answers 127 without a handler, refuses containers that are not running, and wraps a handler's own error", async () => {
    const cluster = await clusterWith("app");
    await cluster.create(PODS, pod("app", "p"));
    expect(await cluster.exec({ namespace: "app", name: "p" }, "main", ["true"])).toEqual({ exitCode: 127, stdout: "", stderr: "command not found" });
    cluster.onExec(() => {
      throw new Error("boom");
    });
    expect(await codeOf(cluster.exec({ namespace: "app", name: "p" }, "main", ["true"]))).toBe("Adapter");
    cluster.setPodState({ namespace: "app", name: "p" }, { phase: "Pending" });
    expect(await codeOf(cluster.exec({ namespace: "app", name: "p" }, "main", ["true"]))).toBe("PreconditionFailed");
  });

  it("times a command out on the clock and aborts its handler's signal", async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster({ clock, execLatencyInMs: 10 });
    cluster.load([namespace("app")]);
    await cluster.create(PODS, pod("app", "p"));
    let handlerSignal: AbortSignal | undefined;
    cluster.onExec(({ abortSignal }) => {
      handlerSignal = abortSignal;
      return new Promise(() => undefined);
    });
    const running = codeOf(cluster.exec({ namespace: "app", name: "p" }, "main", ["sleep"], { timeoutInMs: 500 }));
    await clock.untilSleeping();
    await clock.advance(10);
    await clock.untilSleeping();
    expect(handlerSignal?.aborted).toBe(false);
    await clock.advance(500);
    expect(await running).toBe("Timeout");
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("keeps the last maxOutputBytes of each stream, never half a character", async () => {
    const cluster = await clusterWith("app");
    await cluster.create(PODS, pod("app", "p"));
    cluster.onExec(() => ({ exitCode: 0, stdout: "abcdef", stderr: "xx€€" }));
    const result = await cluster.exec({ namespace: "app", name: "p" }, "main", ["x"], { maxOutputBytes: 4 });
    expect(result.stdout).toBe("cdef");
    expect(result.stderr).toBe("€");
  });
});

describe("volumes", () => {
  const storageClass = (name: string, provisioner: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name, ...extra },
    provisioner,
    parameters: { skuname: "Premium_LRS" },
    reclaimPolicy: "Delete",
  });
  const claim = (ns: string, name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: ns },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Mi" } }, ...spec },
  });

  it("provisions a PV and an empty disk for a claim of an Azure CSI class, bound both ways", async () => {
    const cluster = new MemoryCluster({ identity: { name: "aks", subscriptionId: "sub", resourceGroup: "rg" } });
    cluster.load([namespace("app"), storageClass("managed-csi", "disk.csi.azure.com")]);
    const created = await cluster.create(PVCS, claim("app", "data", { storageClassName: "managed-csi" }));
    expect(created["status"]).toMatchObject({ phase: "Bound", capacity: { storage: "2Mi" } });
    const volumeName = (created["spec"] as { volumeName: string }).volumeName;
    expect(volumeName).toBe(`pvc-${created.metadata.uid}`);
    const volume = await cluster.get(PVS, volumeName);
    const spec = volume?.["spec"] as { claimRef: Record<string, unknown>; csi: { driver: string; volumeHandle: string; volumeAttributes: Record<string, string> }; persistentVolumeReclaimPolicy: string };
    expect(spec.claimRef).toMatchObject({ kind: "PersistentVolumeClaim", namespace: "app", name: "data", uid: created.metadata.uid });
    expect(spec.csi.driver).toBe("disk.csi.azure.com");
    expect(spec.csi.volumeHandle).toBe(`/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/disks/${volumeName}`);
    expect(spec.csi.volumeAttributes["skuname"]).toBe("Premium_LRS");
    expect(volume?.["status"]).toEqual({ phase: "Bound" });
    const bytes = cluster.readVolume(spec.csi.volumeHandle);
    expect(bytes.length).toBe(2 * 1024 * 1024);
    expect(bytes.every((byte) => byte === 0)).toBe(true);

    await cluster.delete(PVCS, "data", { namespace: "app" });
    expect(await cluster.get(PVS, volumeName)).toBeUndefined();
    expect(cluster.disks.has(spec.csi.volumeHandle)).toBe(false);
  });

  it("uses the default storage class for a claim that names none, and leaves other provisioners' claims pending", async () => {
    const cluster = await clusterWith("app");
    cluster.load([
      storageClass("default", "file.csi.azure.com", { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }),
      storageClass("other", "example.com/nfs"),
    ]);
    const defaulted = await cluster.create(PVCS, claim("app", "files", {}));
    expect(defaulted["spec"]).toMatchObject({ storageClassName: "default" });
    expect(defaulted["status"]).toMatchObject({ phase: "Bound" });
    const pending = await cluster.create(PVCS, claim("app", "nfs", { storageClassName: "other" }));
    expect(pending["status"]).toEqual({ phase: "Pending" });
  });

  it("binds a claim naming a PV, whichever comes first, and releases a retained PV", async () => {
    const cluster = await clusterWith("app");
    const pv = (name: string): KubeObject => ({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name },
      spec: { capacity: { storage: "1Mi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", csi: { driver: "disk.csi.azure.com", volumeHandle: `disk-${name}` } },
    });
    await cluster.create(PVS, pv("early"));
    expect(cluster.readVolume("disk-early")).toHaveLength(1024 * 1024);
    const boundFirst = await cluster.create(PVCS, claim("app", "a", { volumeName: "early", storageClassName: "" }));
    expect(boundFirst["status"]).toMatchObject({ phase: "Bound" });

    const waiting = await cluster.create(PVCS, claim("app", "b", { volumeName: "late", storageClassName: "" }));
    expect(waiting["status"]).toEqual({ phase: "Pending" });
    await cluster.create(PVS, pv("late"));
    expect((await cluster.get(PVCS, "b", { namespace: "app" }))?.["status"]).toMatchObject({ phase: "Bound" });
    expect((await cluster.get(PVS, "late"))?.["spec"]).toMatchObject({ claimRef: { name: "b", namespace: "app" } });

    const taken = await cluster.create(PVCS, claim("app", "c", { volumeName: "late", storageClassName: "" }));
    expect(taken["status"]).toEqual({ phase: "Pending" });

    await cluster.delete(PVCS, "a", { namespace: "app" });
    expect((await cluster.get(PVS, "early"))?.["status"]).toEqual({ phase: "Released" });
    expect(cluster.disks.has("disk-early")).toBe(true);
  });

  it("binds claims and volumes loaded in separate calls", async () => {
    const cluster = await clusterWith("app");
    cluster.load([claim("app", "early", { volumeName: "pv-later", storageClassName: "" })]);
    cluster.load([
      {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "pv-later" },
        spec: { capacity: { storage: "1Mi" }, accessModes: ["ReadWriteOnce"], csi: { driver: "file.csi.azure.com", volumeHandle: "rg#acct#share###app" } },
      },
    ]);
    expect((await cluster.get(PVCS, "early", { namespace: "app" }))?.["status"]).toMatchObject({ phase: "Bound" });
    expect(cluster.readVolume("rg#acct#share###app")).toHaveLength(1024 * 1024);
  });

  it("refuses writes past the end of a disk and reads of a missing one", () => {
    const cluster = new MemoryCluster();
    cluster.createDisk("d", 100);
    expect(() => cluster.writeVolume("d", new Uint8Array(10), 95)).toThrow(expect.objectContaining({ code: "InvalidArgument" }));
    expect(() => cluster.readVolume("missing")).toThrow(expect.objectContaining({ code: "NotFound" }));
    expect(() => cluster.createDisk("d", 1)).toThrow(expect.objectContaining({ code: "AlreadyExists" }));
    cluster.writeVolume("d", Uint8Array.of(1, 2, 3), 98 - 1);
    expect(Array.from(cluster.readVolume("d", 96, 10))).toEqual([0, 1, 2, 3]);
  });
});
