import { strict as assert } from "node:assert";
import { rejectsWith } from "./rejects-with.js";
import { randomBytes } from "node:crypto";
import {
  collect,
  invalidArgument,
  isKBackupError,
  type ClusterClient,
  type KBackupErrorCode,
  type KubeObject,
  type ObjectLocation,
  type ResourceRef,
} from "@kbackup/core";

/** The groups of `clusterClientConformance`, each of which can be switched off with a reason. */
export const CLUSTER_CLIENT_CONFORMANCE_GROUPS = ["discovery", "crud", "conflicts", "list-paging", "label-selectors", "patch", "exec", "wait", "abort"] as const;

/** One of {@link CLUSTER_CLIENT_CONFORMANCE_GROUPS}. */
export type ClusterClientConformanceGroup = (typeof CLUSTER_CLIENT_CONFORMANCE_GROUPS)[number];

/**
 * What vitest and node:test pass to a test body: `skip(note)` marks the running test skipped
 * (vitest's stops it by throwing).
 */
export interface ConformanceRunnerContext {
  /** Marks the running test skipped, with `note` as the reason. */
  skip?: (note?: string) => void;
}

/** The test runner's `it` or `test` (vitest, jest, node:test, mocha); `skip` is used when it has one. */
export interface ClusterClientConformanceTest {
  (title: string, body: (context: ConformanceRunnerContext) => Promise<void>): unknown;
  /** The runner's way to register a skipped test; without it, switched-off groups are not registered at all. */
  skip?: (title: string, body: (context: ConformanceRunnerContext) => Promise<void>) => unknown;
}

/** A container the exec tests can run commands in, and the argv of the commands they run there. */
export interface ExecTarget {
  pod: ObjectLocation;
  container: string;
  /** A command that writes `text` (and perhaps a newline) to stdout and exits 0: `["echo", text]`. */
  echo(text: string): string[];
  /** A command that writes `text` to stderr and exits with `exitCode`: `["sh", "-c", "echo text >&2; exit 3"]`. */
  fail(exitCode: number, text: string): string[];
  /** A command that runs until it is stopped: `["sleep", "3600"]`. */
  hang(): string[];
}

/** A pod's container to wait for. */
export interface WaitTarget {
  pod: ObjectLocation;
  container: string;
}

/**
 * One cluster for one test: the client, and hooks for what the `ClusterClient` port cannot do by
 * itself. A test that needs a missing hook is skipped with the reason at run time where the
 * runner can (vitest, node:test); elsewhere it passes without checking anything.
 */
export interface ClusterClientConformanceSubject {
  client: ClusterClient;
  /** Stores objects quickly (the paging group stores 1,050); defaults to `client.create` one by one. */
  seed?(objects: KubeObject[]): Promise<void>;
  /** Makes every list continuation token handed out so far expire (a memory cluster can; a real one cannot). */
  expireListTokens?(): Promise<void>;
  /** A running pod in `namespace` whose container runs the commands of {@link ExecTarget}. */
  execTarget?(namespace: string): Promise<ExecTarget>;
  /** A pod in `namespace` whose container becomes running and ready. */
  readyPod?(namespace: string): Promise<WaitTarget>;
  /** A pod in `namespace` whose container never starts (for example stuck in Pending). */
  stuckPod?(namespace: string): Promise<WaitTarget>;
  /** Called after the test, pass or fail. */
  cleanup?(): Promise<void>;
}

/** A fresh subject for each test. Tests on a shared real cluster work in namespaces of their own. */
export type ClusterClientFactory = () => Promise<ClusterClientConformanceSubject>;

/** Options of {@link clusterClientConformance}. */
export interface ClusterClientConformanceOptions {
  /** Groups to switch off, each with the reason (shown in the skipped test's title). */
  skip?: Partial<Record<ClusterClientConformanceGroup, string>>;
  /** How long to wait for a new CRD's type to be served, on a real cluster; default 30 s. */
  establishTimeoutInMs?: number;
}

const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const CONFIG_MAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
const DEPLOYMENTS: ResourceRef = { group: "apps", version: "v1", resource: "deployments" };
const CLUSTER_ROLES: ResourceRef = { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles" };
const CRDS: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" };
const PAGED_OBJECTS = 1050;
const PAGE_SIZE = 100;

/** What a test body gets: the subject, and a namespace of its own that exists for the test. */
interface Context {
  subject: ClusterClientConformanceSubject;
  client: ClusterClient;
  namespace: string;
}

type Define = (group: ClusterClientConformanceGroup, name: string, body: (context: Context) => Promise<void>, needs?: Need) => void;

/** A subject hook a test cannot do without. */
type Need = "execTarget" | "readyPod" | "stuckPod" | "expireListTokens";

/**
 * Registers the `ClusterClient` contract as tests with `test`, each on a fresh subject from
 * `factory`, in a new namespace that is deleted afterwards. Assertions use `node:assert`, so any
 * runner works. A test whose subject lacks a hook it needs (see
 * {@link ClusterClientConformanceSubject}) is skipped with the reason. Throws `InvalidArgument`
 * for an unknown group in `options.skip`.
 */
export function clusterClientConformance(test: ClusterClientConformanceTest, factory: ClusterClientFactory, options: ClusterClientConformanceOptions = {}): void {
  const skip = options.skip ?? {};
  for (const group of Object.keys(skip)) {
    if (!(CLUSTER_CLIENT_CONFORMANCE_GROUPS as readonly string[]).includes(group)) {
      throw invalidArgument(`options.skip.${group}`, `unknown group; the groups are ${CLUSTER_CLIENT_CONFORMANCE_GROUPS.join(", ")}`);
    }
  }
  const establishTimeoutInMs = options.establishTimeoutInMs ?? 30_000;

  const define: Define = (group, name, body, need) => {
    const title = `cluster client ${group}: ${name}`;
    const reason = skip[group];
    const run = async (runner?: ConformanceRunnerContext) => {
      const subject = await factory();
      const namespace = uniqueName("kbc");
      let created = false;
      try {
        if (need !== undefined && subject[need] === undefined) {
          runner?.skip?.(`the subject has no ${need} hook`);
          return;
        }
        await subject.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
        created = true;
        await body({ subject, client: subject.client, namespace });
      } finally {
        if (created) {
          try {
            await subject.client.delete(NAMESPACES, namespace);
          } catch {
            // Cleanup must not hide the test's own failure.
          }
        }
        await subject.cleanup?.();
      }
    };
    if (reason !== undefined) test.skip?.(`${title} (skipped: ${reason})`, run);
    else test(title, run);
  };

  /** Like `define`, but skipped with a reason when the subject has no `need` hook (known only per subject, so checked at run time). */
  const defineNeeding = (need: Need, group: ClusterClientConformanceGroup, name: string, body: (context: Context) => Promise<void>) =>
    define(group, `${name} [needs ${need}]`, body, need);

  discovery(define, establishTimeoutInMs);
  crud(define);
  conflicts(define);
  listPaging(define, defineNeeding);
  labelSelectors(define);
  patches(define, establishTimeoutInMs);
  exec(define, defineNeeding);
  wait(defineNeeding);
  abort(define, defineNeeding);
}

function discovery(define: Define, establishTimeoutInMs: number): void {
  define("discovery", "serves the core and apps kinds with their scope, verbs and subresources", async ({ client }) => {
    const resources = await client.discover();
    const find = (group: string, resource: string) => {
      const found = resources.find((candidate) => candidate.group === group && candidate.resource === resource);
      assert.ok(found, `discovery has no ${resource} in group "${group}"`);
      return found;
    };
    const namespaces = find("", "namespaces");
    assert.equal(namespaces.kind, "Namespace");
    assert.equal(namespaces.version, "v1");
    assert.equal(namespaces.namespaced, false);
    const configMaps = find("", "configmaps");
    assert.equal(configMaps.kind, "ConfigMap");
    assert.equal(configMaps.namespaced, true);
    for (const verb of ["create", "delete", "get", "list", "patch", "update"]) assert.ok(configMaps.verbs.includes(verb), `configmaps lack the verb ${verb}`);
    const pods = find("", "pods");
    assert.ok(pods.subresources?.includes("exec"), "pods lack the exec subresource");
    assert.ok(pods.subresources?.includes("status"), "pods lack the status subresource");
    assert.equal(find("", "persistentvolumes").namespaced, false);
    const deployments = find("apps", "deployments");
    assert.equal(deployments.kind, "Deployment");
    assert.equal(deployments.version, "v1");
    assert.equal(deployments.namespaced, true);
    assert.ok(deployments.subresources?.includes("scale"), "deployments lack the scale subresource");
    for (const resource of resources) assert.ok(!resource.resource.includes("/"), `subresource ${resource.resource} is listed as a resource`);
    const keys = resources.map((resource) => `${resource.group}/${resource.resource}`);
    assert.equal(new Set(keys).size, keys.length, "a resource type is listed more than once (only the preferred version belongs)");
  });

  define("discovery", "a CRD's type is served at its storage version once established, and goes with the CRD", async ({ client, namespace }) => {
    const crd = widgetCrd();
    await client.create(CRDS, crd.definition);
    try {
      const served = await eventually(establishTimeoutInMs, async () => {
        const found = (await client.discover()).find((resource) => resource.group === crd.group && resource.resource === "widgets");
        return found === undefined ? undefined : found;
      });
      assert.ok(served, `the type widgets.${crd.group} was not discovered within ${establishTimeoutInMs} ms`);
      assert.equal(served.version, "v1");
      assert.equal(served.kind, "Widget");
      assert.equal(served.namespaced, true);
      const widgets: ResourceRef = { group: crd.group, version: "v1", resource: "widgets" };
      const created = await client.create(widgets, { apiVersion: `${crd.group}/v1`, kind: "Widget", metadata: { name: "first", namespace }, spec: { size: 3 } });
      assert.equal(created.kind, "Widget");
      assert.deepEqual((await client.get(widgets, "first", { namespace }))?.["spec"], { size: 3 });
    } finally {
      await client.delete(CRDS, crd.definition.metadata.name as string);
    }
    const gone = await eventually(establishTimeoutInMs, async () =>
      (await client.discover()).some((resource) => resource.group === crd.group) ? undefined : true,
    );
    assert.ok(gone, "the type was still discovered after its CRD was deleted");
  });
}

function crud(define: Define): void {
  define("crud", "create sets the server's fields; get returns the object as stored", async ({ client, namespace }) => {
    const created = await client.create(CONFIG_MAPS, configMap(namespace, "settings", { color: "blue" }, { app: "web" }));
    assert.equal(created.metadata.name, "settings");
    assert.equal(created.metadata.namespace, namespace);
    assert.ok(typeof created.metadata.uid === "string" && created.metadata.uid !== "", "create returned no uid");
    assert.ok(typeof created.metadata.resourceVersion === "string" && created.metadata.resourceVersion !== "", "create returned no resourceVersion");
    assert.ok(!Number.isNaN(Date.parse(created.metadata.creationTimestamp ?? "")), "create returned no creationTimestamp");
    assert.deepEqual(created["data"], { color: "blue" });
    assert.equal(created.metadata.labels?.["app"], "web");
    const read = await client.get(CONFIG_MAPS, "settings", { namespace });
    assert.ok(read, "get returned undefined for a created object");
    assert.equal(read.metadata.uid, created.metadata.uid);
    assert.equal(read.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.deepEqual(read["data"], { color: "blue" });
  });

  define("crud", "objects handed out are copies: changing them changes nothing stored", async ({ client, namespace }) => {
    const created = await client.create(CONFIG_MAPS, configMap(namespace, "copied", { key: "value" }));
    (created["data"] as Record<string, string>)["key"] = "changed";
    created.metadata.labels = { changed: "yes" };
    const read = await client.get(CONFIG_MAPS, "copied", { namespace });
    assert.deepEqual(read?.["data"], { key: "value" });
    (read?.["data"] as Record<string, string>)["key"] = "changed again";
    const [listed] = await collect(client.list(CONFIG_MAPS, { namespace, fieldSelector: "metadata.name=copied" }));
    assert.deepEqual(listed?.["data"], { key: "value" });
    assert.equal(listed?.metadata.labels?.["changed"], undefined);
  });

  define("crud", "get of a missing object is undefined; delete is idempotent", async ({ client, namespace }) => {
    assert.equal(await client.get(CONFIG_MAPS, "absent", { namespace }), undefined);
    await client.create(CONFIG_MAPS, configMap(namespace, "doomed", {}));
    assert.equal(await client.delete(CONFIG_MAPS, "doomed", { namespace }), true);
    assert.equal(await client.get(CONFIG_MAPS, "doomed", { namespace }), undefined);
    assert.equal(await client.delete(CONFIG_MAPS, "doomed", { namespace }), false);
    assert.equal(await client.delete(CONFIG_MAPS, "never-was", { namespace }), false);
  });

  define("crud", "replace stores the new object with a new resourceVersion; generation follows the spec", async ({ client, namespace }) => {
    const created = await client.create(DEPLOYMENTS, deployment(namespace, "web", [{ name: "app", image: "example.invalid/app:1" }]));
    assert.equal(created.metadata.generation, 1);
    const labelled = await client.replace(DEPLOYMENTS, { ...created, metadata: { ...created.metadata, labels: { tier: "front" } } });
    assert.notEqual(labelled.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.equal(labelled.metadata.uid, created.metadata.uid);
    assert.equal(labelled.metadata.labels?.["tier"], "front");
    assert.equal(labelled.metadata.generation, 1, "a metadata change must not bump generation");
    const respec = deployment(namespace, "web", [{ name: "app", image: "example.invalid/app:2" }]);
    const replaced = await client.replace(DEPLOYMENTS, { ...respec, metadata: { ...respec.metadata, resourceVersion: labelled.metadata.resourceVersion } });
    assert.equal(replaced.metadata.generation, 2, "a spec change bumps generation");
    assert.equal(containersOf(await client.get(DEPLOYMENTS, "web", { namespace }))[0]?.["image"], "example.invalid/app:2");
  });

  define("crud", "generateName gives each object a new name with that prefix", async ({ client, namespace }) => {
    const template: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "gen-", namespace }, data: {} };
    const first = await client.create(CONFIG_MAPS, template);
    const second = await client.create(CONFIG_MAPS, template);
    assert.ok(first.metadata.name?.startsWith("gen-") && first.metadata.name.length > 4, `generated name ${first.metadata.name}`);
    assert.notEqual(first.metadata.name, second.metadata.name);
  });

  define("crud", "a namespaced object needs an existing namespace", async ({ client }) => {
    await rejectsWith(() => client.create(CONFIG_MAPS, configMap(uniqueName("absent"), "orphan", {})), "NotFound", "create in a missing namespace");
  });

  define("crud", "cluster-scoped objects live outside namespaces", async ({ client }) => {
    const name = uniqueName("kbc-role");
    const created = await client.create(CLUSTER_ROLES, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules: [] });
    try {
      assert.equal(created.metadata.namespace, undefined);
      assert.equal((await client.get(CLUSTER_ROLES, name))?.metadata.uid, created.metadata.uid);
      const listed = await collect(client.list(CLUSTER_ROLES, { fieldSelector: `metadata.name=${name}` }));
      assert.deepEqual(listed.map((role) => role.metadata.name), [name]);
    } finally {
      assert.equal(await client.delete(CLUSTER_ROLES, name), true);
    }
  });

  define("crud", "invalid names are InvalidArgument", async ({ client, namespace }) => {
    await rejectsWith(() => client.create(CONFIG_MAPS, configMap(namespace, "Not_A_Name", {})), "InvalidArgument", "create with an invalid name");
  });
}

function conflicts(define: Define): void {
  define("conflicts", "a taken name is AlreadyExists", async ({ client, namespace }) => {
    await client.create(CONFIG_MAPS, configMap(namespace, "taken", {}));
    await rejectsWith(() => client.create(CONFIG_MAPS, configMap(namespace, "taken", {})), "AlreadyExists", "second create");
  });

  define("conflicts", "replace with a stale resourceVersion is Conflict", async ({ client, namespace }) => {
    const created = await client.create(CONFIG_MAPS, configMap(namespace, "contended", { n: "0" }));
    const updated = await client.replace(CONFIG_MAPS, { ...created, data: { n: "1" } });
    await rejectsWith(() => client.replace(CONFIG_MAPS, { ...created, data: { n: "2" } }), "Conflict", "replace with the first resourceVersion");
    assert.deepEqual((await client.get(CONFIG_MAPS, "contended", { namespace }))?.["data"], { n: "1" });
    const fresh = await client.replace(CONFIG_MAPS, { ...updated, data: { n: "3" } });
    assert.deepEqual(fresh["data"], { n: "3" });
  });

  define("conflicts", "a patch naming a stale resourceVersion is Conflict", async ({ client, namespace }) => {
    const created = await client.create(CONFIG_MAPS, configMap(namespace, "patched", { n: "0" }));
    await client.patch(CONFIG_MAPS, "patched", { data: { n: "1" } }, { namespace, patchType: "merge" });
    await rejectsWith(
      () => client.patch(CONFIG_MAPS, "patched", { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { n: "2" } }, { namespace, patchType: "merge" }),
      "Conflict",
      "merge patch with a stale resourceVersion",
    );
    assert.deepEqual((await client.get(CONFIG_MAPS, "patched", { namespace }))?.["data"], { n: "1" });
  });

  define("conflicts", "patch and replace of a missing object are NotFound", async ({ client, namespace }) => {
    await rejectsWith(() => client.patch(CONFIG_MAPS, "absent", { data: { a: "b" } }, { namespace, patchType: "merge" }), "NotFound", "patch of a missing object");
    await rejectsWith(() => client.replace(CONFIG_MAPS, configMap(namespace, "absent", {})), "NotFound", "replace of a missing object");
  });
}

type DefineNeeding = (need: Need, group: ClusterClientConformanceGroup, name: string, body: (context: Context) => Promise<void>) => void;

function listPaging(define: Define, defineNeeding: DefineNeeding): void {
  const seedConfigMaps = async ({ subject, client, namespace }: Context, count: number) => {
    const objects = Array.from({ length: count }, (_, index) => configMap(namespace, `cm-${String(index).padStart(4, "0")}`, { index: String(index) }));
    if (subject.seed !== undefined) await subject.seed(objects);
    else for (const object of objects) await client.create(CONFIG_MAPS, object);
    return objects.map((object) => object.metadata.name as string);
  };

  define("list-paging", `${PAGED_OBJECTS} objects come in pages of ${PAGE_SIZE}, in name order, each once`, async (context) => {
    const names = await seedConfigMaps(context, PAGED_OBJECTS);
    const pages = await collect(context.client.list(CONFIG_MAPS, { namespace: context.namespace }).byPage({ maxPageSize: PAGE_SIZE }));
    const listed = pages.flatMap((page) => page.items.map((item) => item.metadata.name));
    assert.deepEqual(listed, names, "the pages do not hold every object once, in name order");
    assert.ok(pages.length >= Math.ceil(PAGED_OBJECTS / PAGE_SIZE), `only ${pages.length} pages`);
    pages.forEach((page, index) => {
      assert.ok(page.items.length <= PAGE_SIZE, `page ${index} has ${page.items.length} items`);
      if (index < pages.length - 1) assert.ok(page.continuationToken, `page ${index} has no continuation token`);
    });
    assert.equal(pages.at(-1)?.continuationToken ?? "", "", "the last page has a continuation token");
  });

  define("list-paging", "a paged list is a snapshot as of its first page", async (context) => {
    const names = await seedConfigMaps(context, 250);
    const { client, namespace } = context;
    const pages = client.list(CONFIG_MAPS, { namespace }).byPage({ maxPageSize: PAGE_SIZE });
    const first = await pages.next();
    assert.equal(first.done, false);
    await client.create(CONFIG_MAPS, configMap(namespace, "cm-9999-late", {}));
    await client.delete(CONFIG_MAPS, "cm-0150", { namespace });
    const listed = (first.value?.items ?? []).map((item) => item.metadata.name);
    for await (const page of pages) listed.push(...page.items.map((item) => item.metadata.name));
    assert.deepEqual(listed, names);
  });

  define("list-paging", "a continuation token resumes the list where its page ended", async (context) => {
    const names = await seedConfigMaps(context, 120);
    const { client, namespace } = context;
    const [first] = await takePages(client.list(CONFIG_MAPS, { namespace }).byPage({ maxPageSize: 50 }), 1);
    assert.ok(first?.continuationToken, "the first page has no continuation token");
    const rest = await collect(client.list(CONFIG_MAPS, { namespace }).byPage({ maxPageSize: 50, continuationToken: first.continuationToken }));
    const listed = [...first.items, ...rest.flatMap((page) => page.items)].map((item) => item.metadata.name);
    assert.deepEqual(listed, names);
  });

  define("list-paging", "iterating without byPage yields every object; namespace and field selectors filter", async (context) => {
    const names = await seedConfigMaps(context, 30);
    const { client, namespace } = context;
    assert.deepEqual((await collect(client.list(CONFIG_MAPS, { namespace }))).map((item) => item.metadata.name), names);
    const byName = await collect(client.list(CONFIG_MAPS, { fieldSelector: `metadata.namespace=${namespace},metadata.name=cm-0007` }));
    assert.deepEqual(byName.map((item) => [item.metadata.namespace, item.metadata.name]), [[namespace, "cm-0007"]]);
    const notName = await collect(client.list(CONFIG_MAPS, { namespace, fieldSelector: "metadata.name!=cm-0007" }));
    assert.equal(notName.filter((item) => (item.metadata.name ?? "").startsWith("cm-")).length, 29);
    const other = uniqueName("kbc-empty");
    await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: other } });
    try {
      const inOther = await collect(client.list(CONFIG_MAPS, { namespace: other }));
      assert.equal(inOther.filter((item) => (item.metadata.name ?? "").startsWith("cm-")).length, 0);
    } finally {
      await client.delete(NAMESPACES, other);
    }
  });

  defineNeeding("expireListTokens", "list-paging", "an expired continuation token is Expired", async (context) => {
    await seedConfigMaps(context, 30);
    const { subject, client, namespace } = context;
    const [first] = await takePages(client.list(CONFIG_MAPS, { namespace }).byPage({ maxPageSize: 10 }), 1);
    assert.ok(first?.continuationToken, "the first page has no continuation token");
    await subject.expireListTokens?.();
    await rejectsWith(
      () => collect(client.list(CONFIG_MAPS, { namespace }).byPage({ maxPageSize: 10, continuationToken: first.continuationToken })),
      "Expired",
      "list with an expired token",
    );
  });
}

function labelSelectors(define: Define): void {
  const cases: Array<[string, string[]]> = [
    ["app=web", ["a", "b"]],
    ["app==web", ["a", "b"]],
    ["app!=web", ["c", "d"]],
    ["app in (web,db)", ["a", "b", "c"]],
    ["app notin (web)", ["c", "d"]],
    ["tier", ["a", "b"]],
    ["!tier", ["c", "d"]],
    ["app=web,tier=back", ["b"]],
    ["app=web,tier!=back", ["a"]],
    ["", ["a", "b", "c", "d"]],
  ];
  define("label-selectors", "equality, set and existence selectors pick the matching objects", async ({ client, namespace }) => {
    await client.create(CONFIG_MAPS, configMap(namespace, "a", {}, { app: "web", tier: "front" }));
    await client.create(CONFIG_MAPS, configMap(namespace, "b", {}, { app: "web", tier: "back" }));
    await client.create(CONFIG_MAPS, configMap(namespace, "c", {}, { app: "db" }));
    await client.create(CONFIG_MAPS, configMap(namespace, "d", {}));
    for (const [selector, expected] of cases) {
      const listed = await collect(client.list(CONFIG_MAPS, { namespace, labelSelector: selector }));
      const names = listed.map((item) => item.metadata.name).filter((name) => name !== undefined && name.length === 1);
      assert.deepEqual(names, expected, `selector "${selector}"`);
    }
  });

  define("label-selectors", "a selector combines with paging", async ({ client, namespace }) => {
    for (let index = 0; index < 40; index++) {
      await client.create(CONFIG_MAPS, configMap(namespace, `item-${String(index).padStart(2, "0")}`, {}, { parity: index % 2 === 0 ? "even" : "odd" }));
    }
    const pages = await collect(client.list(CONFIG_MAPS, { namespace, labelSelector: "parity=even" }).byPage({ maxPageSize: 7 }));
    const names = pages.flatMap((page) => page.items.map((item) => item.metadata.name));
    assert.deepEqual(names, Array.from({ length: 20 }, (_, index) => `item-${String(index * 2).padStart(2, "0")}`));
    for (const page of pages) assert.ok(page.items.length <= 7);
  });

  define("label-selectors", "a malformed selector is InvalidArgument", async ({ client, namespace }) => {
    await rejectsWith(() => collect(client.list(CONFIG_MAPS, { namespace, labelSelector: "app in (web" })), "InvalidArgument", "list with a malformed selector");
  });
}

function patches(define: Define, establishTimeoutInMs: number): void {
  define("patch", "a merge patch (RFC 7396) merges maps and deletes with null", async ({ client, namespace }) => {
    const created = await client.create(CONFIG_MAPS, configMap(namespace, "merged", { a: "1", b: "2" }));
    const patched = await client.patch(CONFIG_MAPS, "merged", { data: { b: null, c: "3" }, metadata: { labels: { patched: "yes" } } }, { namespace, patchType: "merge" });
    assert.deepEqual(patched["data"], { a: "1", c: "3" });
    assert.equal(patched.metadata.labels?.["patched"], "yes");
    assert.notEqual(patched.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.deepEqual((await client.get(CONFIG_MAPS, "merged", { namespace }))?.["data"], { a: "1", c: "3" });
  });

  define("patch", "a JSON patch (RFC 6902) applies its operations in order", async ({ client, namespace }) => {
    await client.create(CONFIG_MAPS, configMap(namespace, "operated", { a: "1", b: "2" }));
    const patched = await client.patch(
      CONFIG_MAPS,
      "operated",
      [
        { op: "add", path: "/data/c", value: "3" },
        { op: "replace", path: "/data/a", value: "one" },
        { op: "remove", path: "/data/b" },
        { op: "copy", from: "/data/c", path: "/data/d" },
      ],
      { namespace, patchType: "json" },
    );
    assert.deepEqual(patched["data"], { a: "one", c: "3", d: "3" });
  });

  define("patch", "a JSON patch that cannot apply is InvalidArgument and changes nothing", async ({ client, namespace }) => {
    await client.create(CONFIG_MAPS, configMap(namespace, "intact", { a: "1" }));
    await rejectsWith(
      () => client.patch(CONFIG_MAPS, "intact", [{ op: "add", path: "/data/b", value: "2" }, { op: "remove", path: "/data/missing" }], { namespace, patchType: "json" }),
      "InvalidArgument",
      "JSON patch removing a missing member",
    );
    assert.deepEqual((await client.get(CONFIG_MAPS, "intact", { namespace }))?.["data"], { a: "1" });
  });

  define("patch", "a strategic merge patch merges containers by name (or is Unsupported without the capability)", async ({ client, namespace }) => {
    await client.create(DEPLOYMENTS, deployment(namespace, "web", [{ name: "app", image: "example.invalid/app:1" }, { name: "proxy", image: "example.invalid/proxy:1" }]));
    const patch = { spec: { template: { spec: { containers: [{ name: "app", image: "example.invalid/app:2" }] } } } };
    if (!client.capabilities.strategicMergePatch) {
      await rejectsWith(() => client.patch(DEPLOYMENTS, "web", patch, { namespace, patchType: "strategic" }), "Unsupported", "strategic patch without the capability");
      return;
    }
    const patched = await client.patch(DEPLOYMENTS, "web", patch, { namespace, patchType: "strategic" });
    assert.deepEqual(
      containersOf(patched).map((container) => [container["name"], container["image"]]),
      [
        ["app", "example.invalid/app:2"],
        ["proxy", "example.invalid/proxy:1"],
      ],
    );
    const merged = await client.patch(DEPLOYMENTS, "web", patch, { namespace, patchType: "merge" });
    assert.deepEqual(containersOf(merged).map((container) => container["name"]), ["app"], "a merge patch replaces the list whole");
  });

  define("patch", "a strategic merge patch of a custom resource is Unsupported", async ({ client, namespace }) => {
    const crd = widgetCrd();
    await client.create(CRDS, crd.definition);
    try {
      const widgets: ResourceRef = { group: crd.group, version: "v1", resource: "widgets" };
      const created = await eventually(establishTimeoutInMs, async () => {
        try {
          return await client.create(widgets, { apiVersion: `${crd.group}/v1`, kind: "Widget", metadata: { name: "w", namespace }, spec: { parts: ["a"] } });
        } catch (error) {
          if (isKBackupError(error, "NotFound")) return undefined;
          throw error;
        }
      });
      assert.ok(created, `the type widgets.${crd.group} was not served within ${establishTimeoutInMs} ms`);
      await rejectsWith(() => client.patch(widgets, "w", { spec: { parts: ["b"] } }, { namespace, patchType: "strategic" }), "Unsupported", "strategic patch of a custom resource");
      const merged = await client.patch(widgets, "w", { spec: { parts: ["b"] } }, { namespace, patchType: "merge" });
      assert.deepEqual(merged["spec"], { parts: ["b"] });
    } finally {
      await client.delete(CRDS, crd.definition.metadata.name as string);
    }
  });

  define("patch", "a patch of the status subresource changes status and leaves the spec", async ({ client, namespace }) => {
    const created = await client.create(DEPLOYMENTS, deployment(namespace, "statused", [{ name: "app", image: "example.invalid/app:1" }]));
    const patched = await client.patch(DEPLOYMENTS, "statused", { status: { observedGeneration: 1 }, spec: { replicas: 5 } }, { namespace, patchType: "merge", subresource: "status" });
    assert.equal((patched["status"] as Record<string, unknown> | undefined)?.["observedGeneration"], 1);
    assert.equal((patched["spec"] as Record<string, unknown>)["replicas"], (created["spec"] as Record<string, unknown>)["replicas"]);
  });
}

function exec(define: Define, defineNeeding: DefineNeeding): void {
  defineNeeding("execTarget", "exec", "a command's exit code and output come back; a failing command is a result, not an error", async ({ subject, client, namespace }) => {
    const target = await (subject.execTarget as (namespace: string) => Promise<ExecTarget>)(namespace);
    if (!client.capabilities.exec) {
      await rejectsWith(() => client.exec(target.pod, target.container, target.echo("hello")), "Unsupported", "exec without the capability");
      return;
    }
    const echoed = await client.exec(target.pod, target.container, target.echo("hello kbackup"));
    assert.equal(echoed.exitCode, 0);
    assert.ok(echoed.stdout.includes("hello kbackup"), `stdout was ${JSON.stringify(echoed.stdout)}`);
    const failed = await client.exec(target.pod, target.container, target.fail(3, "it broke"));
    assert.equal(failed.exitCode, 3);
    assert.ok(failed.stderr.includes("it broke"), `stderr was ${JSON.stringify(failed.stderr)}`);
  });

  defineNeeding("execTarget", "exec", "argv is passed as is, never through a shell", async ({ subject, client, namespace }) => {
    const target = await (subject.execTarget as (namespace: string) => Promise<ExecTarget>)(namespace);
    const text = "$HOME; echo injected `id` 'quoted' \"double\"";
    const echoed = await client.exec(target.pod, target.container, target.echo(text));
    assert.ok(echoed.stdout.includes(text), `stdout was ${JSON.stringify(echoed.stdout)}`);
  });

  defineNeeding("execTarget", "exec", "maxOutputBytes keeps the last bytes of the output", async ({ subject, client, namespace }) => {
    const target = await (subject.execTarget as (namespace: string) => Promise<ExecTarget>)(namespace);
    const echoed = await client.exec(target.pod, target.container, target.echo(`${"x".repeat(5000)}END`), { maxOutputBytes: 16 });
    assert.ok(Buffer.byteLength(echoed.stdout) <= 16, `kept ${Buffer.byteLength(echoed.stdout)} bytes`);
    assert.ok(echoed.stdout.includes("END"), `stdout was ${JSON.stringify(echoed.stdout)}`);
  });

  defineNeeding("execTarget", "exec", "a missing pod or container is NotFound", async ({ subject, client, namespace }) => {
    const target = await (subject.execTarget as (namespace: string) => Promise<ExecTarget>)(namespace);
    await rejectsWith(() => client.exec({ namespace, name: "no-such-pod" }, target.container, target.echo("x")), "NotFound", "exec in a missing pod");
    await rejectsWith(() => client.exec(target.pod, "no-such-container", target.echo("x")), "NotFound", "exec in a missing container");
  });

  defineNeeding("execTarget", "exec", "timeoutInMs stops the command with Timeout", async ({ subject, client, namespace }) => {
    const target = await (subject.execTarget as (namespace: string) => Promise<ExecTarget>)(namespace);
    await rejectsWith(() => client.exec(target.pod, target.container, target.hang(), { timeoutInMs: 200 }), "Timeout", "exec of a hanging command");
  });

  define("exec", "bad arguments are InvalidArgument", async ({ client, namespace }) => {
    await rejectsWith(() => client.exec({ namespace, name: "any" }, "main", []), "InvalidArgument", "exec with an empty argv");
  });
}

function wait(defineNeeding: DefineNeeding): void {
  defineNeeding("readyPod", "wait", "waiting for a container that becomes ready resolves", async ({ subject, client, namespace }) => {
    const target = await (subject.readyPod as (namespace: string) => Promise<WaitTarget>)(namespace);
    await client.waitForContainer(target.pod, target.container, { condition: "running", timeoutInMs: 120_000 });
    await client.waitForContainer(target.pod, target.container, { condition: "ready", timeoutInMs: 120_000 });
  });

  defineNeeding("readyPod", "wait", "a missing pod or container is NotFound", async ({ subject, client, namespace }) => {
    const target = await (subject.readyPod as (namespace: string) => Promise<WaitTarget>)(namespace);
    await rejectsWith(() => client.waitForContainer({ namespace, name: "no-such-pod" }, target.container, { condition: "running", timeoutInMs: 5_000 }), "NotFound", "wait for a missing pod");
    await rejectsWith(() => client.waitForContainer(target.pod, "no-such-container", { condition: "running", timeoutInMs: 5_000 }), "NotFound", "wait for a missing container");
  });

  defineNeeding("stuckPod", "wait", "waiting for a container that never starts is Timeout", async ({ subject, client, namespace }) => {
    const target = await (subject.stuckPod as (namespace: string) => Promise<WaitTarget>)(namespace);
    await rejectsWith(() => client.waitForContainer(target.pod, target.container, { condition: "ready", timeoutInMs: 200 }), "Timeout", "wait for a stuck container");
  });
}

function abort(define: Define, defineNeeding: DefineNeeding): void {
  define("abort", "every call with an aborted signal fails with Aborted and writes nothing", async ({ client, namespace }) => {
    const existing = await client.create(CONFIG_MAPS, configMap(namespace, "existing", { a: "1" }));
    const controller = new AbortController();
    controller.abort();
    const abortSignal = controller.signal;
    await rejectsWith(() => client.discover({ abortSignal }), "Aborted", "discover");
    await rejectsWith(() => collect(client.list(CONFIG_MAPS, { namespace, abortSignal })), "Aborted", "list");
    await rejectsWith(() => client.get(CONFIG_MAPS, "existing", { namespace, abortSignal }), "Aborted", "get");
    await rejectsWith(() => client.create(CONFIG_MAPS, configMap(namespace, "new", {}), { abortSignal }), "Aborted", "create");
    await rejectsWith(() => client.patch(CONFIG_MAPS, "existing", { data: { a: "2" } }, { namespace, patchType: "merge", abortSignal }), "Aborted", "patch");
    await rejectsWith(() => client.replace(CONFIG_MAPS, { ...existing, data: { a: "3" } }, { abortSignal }), "Aborted", "replace");
    await rejectsWith(() => client.delete(CONFIG_MAPS, "existing", { namespace, abortSignal }), "Aborted", "delete");
    await rejectsWith(() => client.waitForContainer({ namespace, name: "any" }, "main", { condition: "running", abortSignal }), "Aborted", "waitForContainer");
    if (client.capabilities.exec) await rejectsWith(() => client.exec({ namespace, name: "any" }, "main", ["true"], { abortSignal }), "Aborted", "exec");
    assert.equal(await client.get(CONFIG_MAPS, "new", { namespace }), undefined);
    assert.deepEqual((await client.get(CONFIG_MAPS, "existing", { namespace }))?.["data"], { a: "1" });
  });

  defineNeeding("execTarget", "abort", "aborting a running exec stops it with Aborted", async ({ subject, client, namespace }) => {
    const target = await (subject.execTarget as (namespace: string) => Promise<ExecTarget>)(namespace);
    const controller = new AbortController();
    const running = client.exec(target.pod, target.container, target.hang(), { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(() => running, "Aborted", "aborted exec");
  });

  defineNeeding("stuckPod", "abort", "aborting a wait stops it with Aborted", async ({ subject, client, namespace }) => {
    const target = await (subject.stuckPod as (namespace: string) => Promise<WaitTarget>)(namespace);
    const controller = new AbortController();
    const waiting = client.waitForContainer(target.pod, target.container, { condition: "ready", abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(() => waiting, "Aborted", "aborted wait");
  });
}

// ---------------------------------------------------------------- helpers

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

function configMap(namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(labels === undefined ? {} : { labels }) }, data };
}

function deployment(namespace: string, name: string, containers: Array<{ name: string; image: string }>): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
  };
}

function containersOf(object: KubeObject | undefined): Array<Record<string, unknown>> {
  const spec = object?.["spec"] as { template?: { spec?: { containers?: Array<Record<string, unknown>> } } } | undefined;
  return spec?.template?.spec?.containers ?? [];
}

/** A CRD of a group no other test uses: `widgets.<group>`, served at v1alpha1 and v1 (the storage version). */
function widgetCrd(): { group: string; definition: KubeObject } {
  const group = `${uniqueName("c")}.conformance.kbackup.example`;
  const schema = { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } } };
  return {
    group,
    definition: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [
          { name: "v1alpha1", served: true, storage: false, schema },
          { name: "v1", served: true, storage: true, schema },
        ],
      },
    },
  };
}

/** Tries `probe` until it returns something other than `undefined`, for up to `timeoutInMs`. */
async function eventually<T>(timeoutInMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutInMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
    const value = await probe();
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function takePages<T>(pages: AsyncIterableIterator<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  for (let index = 0; index < count; index++) {
    const next = await pages.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

