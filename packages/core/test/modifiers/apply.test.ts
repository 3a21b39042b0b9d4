import { describe, expect, it } from "vitest";
import {
  applyResourceModifiers,
  compileResourceModifiers,
  isKBackupError,
  type KubeObject,
  type ResourceModifierRuleDocument,
} from "@kbackup/core";

type Rule = Omit<ResourceModifierRuleDocument, "conditions"> & { conditions: Record<string, unknown> };

function modifiers(...rules: Rule[]) {
  return compileResourceModifiers({ version: "v1", resourceModifierRules: rules });
}

function pod(name: string, extra: { namespace?: string; labels?: Record<string, string>; spec?: Record<string, unknown> } = {}): KubeObject {
  const metadata: KubeObject["metadata"] = { name };
  if (extra.namespace !== undefined) metadata.namespace = extra.namespace;
  if (extra.labels !== undefined) metadata.labels = extra.labels;
  return { apiVersion: "v1", kind: "Pod", metadata, spec: extra.spec ?? { containers: [{ name: "app", image: "nginx:1.25" }] } };
}

const mark = { mergePatches: [{ patchData: "metadata: {annotations: {modified: 'yes'}}" }] };

/** Whether a rule with `conditions` (and a harmless patch) applies to `object`. */
function selects(conditions: Record<string, unknown>, object: KubeObject, groupResource = "pods", namespace?: string): boolean {
  const result = applyResourceModifiers(modifiers({ conditions, ...mark }), object, { groupResource, namespace });
  expect(result.errors).toEqual([]);
  return result.appliedRules.length === 1;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe("groupResource globs, with '.' as the separator", () => {
  const cases: [pattern: string, groupResource: string, expected: boolean][] = [
    ["pods", "pods", true],
    ["pods", "pods.metrics.k8s.io", false],
    ["deployments.apps", "deployments.apps", true],
    ["deployments.apps", "deploymentsXapps", false],
    ["*", "pods", true],
    ["*", "deployments.apps", false],
    ["*.apps", "deployments.apps", true],
    ["*.apps", "statefulsets.apps", true],
    ["*.apps", "pods", false],
    ["*.apps", "deployments.apps.example.com", false],
    ["*.*", "deployments.apps", true],
    ["*.*", "pods", false],
    ["*.*", "storageclasses.storage.k8s.io", false],
    ["**", "pods", true],
    ["**", "storageclasses.storage.k8s.io", true],
    ["*.**", "storageclasses.storage.k8s.io", true],
    ["*.**", "pods", false],
    ["**.k8s.io", "storageclasses.storage.k8s.io", true],
    ["*.k8s.io", "storageclasses.storage.k8s.io", false],
    ["?ods", "pods", true],
    ["?ods", "ppods", false],
    ["deployments?apps", "deployments.apps", false],
    ["[cp]ods", "pods", true],
    ["[cp]ods", "nods", false],
    ["[!p]ods", "pods", false],
    ["[!p]ods", "nods", true],
    ["[a-p]ods", "pods", true],
    ["[!a-p]ods", "pods", false],
    ["deployments[.]apps", "deployments.apps", true],
    ["deployments[!x]apps", "deployments.apps", true],
    ["{pods,services}", "services", true],
    ["{pods,services}", "secrets", false],
    ["{*.apps,pods}", "deployments.apps", true],
    ["{*.apps,pods}", "pods", true],
    ["{*.apps,pods}", "secrets", false],
    ["{deploy,stateful}{ments,sets}.apps", "statefulsets.apps", true],
    ["pod{s,}", "pod", true],
    ["\\*", "*", true],
    ["\\*", "pods", false],
    ["a,b", "a,b", true],
    ["x}", "x}", true],
  ];
  it.each(cases)("%s against %s is %s", (pattern, groupResource, expected) => {
    expect(selects({ groupResource: pattern }, pod("p"), groupResource)).toBe(expected);
  });
});

describe("namespaces", () => {
  it("match any of the globs against the object's namespace", () => {
    const conditions = { groupResource: "pods", namespaces: ["prod-*", "qa", "team-[ab]"] };
    expect(selects(conditions, pod("p", { namespace: "prod-eu" }))).toBe(true);
    expect(selects(conditions, pod("p", { namespace: "qa" }))).toBe(true);
    expect(selects(conditions, pod("p", { namespace: "team-b" }))).toBe(true);
    expect(selects(conditions, pod("p", { namespace: "qa-2" }))).toBe(false);
    expect(selects(conditions, pod("p", { namespace: "dev" }))).toBe(false);
  });

  it("match every namespace when absent, empty or '*'", () => {
    expect(selects({ groupResource: "pods" }, pod("p", { namespace: "any" }))).toBe(true);
    expect(selects({ groupResource: "pods", namespaces: [] }, pod("p", { namespace: "any" }))).toBe(true);
    expect(selects({ groupResource: "pods", namespaces: ["*"] }, pod("p", { namespace: "any" }))).toBe(true);
  });

  it("use the original namespace the caller passes, not the object's (mapped) one", () => {
    const restored = pod("p", { namespace: "prod-copy" });
    expect(selects({ groupResource: "pods", namespaces: ["prod"] }, restored, "pods", "prod")).toBe(true);
    expect(selects({ groupResource: "pods", namespaces: ["prod-copy"] }, restored, "pods", "prod")).toBe(false);
  });

  it("are ignored for cluster-scoped objects", () => {
    const storageClass: KubeObject = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast" } };
    expect(selects({ groupResource: "storageclasses.storage.k8s.io", namespaces: ["prod"] }, storageClass, "storageclasses.storage.k8s.io")).toBe(true);
  });
});

describe("resourceNameRegex", () => {
  it("is an unanchored RE2 search over the name", () => {
    expect(selects({ groupResource: "pods", resourceNameRegex: "web" }, pod("my-web-1"))).toBe(true);
    expect(selects({ groupResource: "pods", resourceNameRegex: "^web" }, pod("my-web-1"))).toBe(false);
    expect(selects({ groupResource: "pods", resourceNameRegex: "^my-web-\\d+$" }, pod("my-web-1"))).toBe(true);
    expect(selects({ groupResource: "pods", resourceNameRegex: "^(?i)MY-" }, pod("my-web-1"))).toBe(true);
    expect(selects({ groupResource: "pods", resourceNameRegex: "" }, pod("anything"))).toBe(true);
  });

  it("runs in linear time on patterns that make backtracking engines explode", () => {
    // A backtracking engine tries about 2^n ways to split n a's before failing: for 30,000 it
    // would never finish. RE2 answers after one pass.
    const name = `${"a".repeat(30_000)}!`;
    const object = pod(name);
    expect(selects({ groupResource: "pods", resourceNameRegex: "^(a+)+$" }, object)).toBe(false);
    expect(selects({ groupResource: "pods", resourceNameRegex: "(a|aa)+$" }, object)).toBe(false);
    expect(selects({ groupResource: "pods", resourceNameRegex: "^(a|a?)+b" }, object)).toBe(false);
    expect(selects({ groupResource: "pods", resourceNameRegex: "(a+)+!$" }, object)).toBe(true);
  });
});

describe("labelSelector", () => {
  const labelled = pod("p", { labels: { app: "web", tier: "front" } });
  it("takes matchLabels", () => {
    expect(selects({ groupResource: "pods", labelSelector: { matchLabels: { app: "web" } } }, labelled)).toBe(true);
    expect(selects({ groupResource: "pods", labelSelector: { matchLabels: { app: "db" } } }, labelled)).toBe(false);
    expect(selects({ groupResource: "pods", labelSelector: { matchLabels: { app: "web" } } }, pod("unlabelled"))).toBe(false);
  });

  it("takes matchExpressions", () => {
    const expression = (operator: string, values?: string[]) => ({
      groupResource: "pods",
      labelSelector: { matchExpressions: [{ key: "tier", operator, ...(values ? { values } : {}) }] },
    });
    expect(selects(expression("In", ["front", "back"]), labelled)).toBe(true);
    expect(selects(expression("NotIn", ["front"]), labelled)).toBe(false);
    expect(selects(expression("Exists"), labelled)).toBe(true);
    expect(selects(expression("DoesNotExist"), labelled)).toBe(false);
    expect(selects(expression("DoesNotExist"), pod("unlabelled"))).toBe(true);
  });

  it("an empty selector matches everything", () => {
    expect(selects({ groupResource: "pods", labelSelector: {} }, pod("unlabelled"))).toBe(true);
  });
});

describe("matches", () => {
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { "app.kubernetes.io/name": "web", replicas: "3" } },
    spec: { replicas: 3, paused: false, strategy: { type: "RollingUpdate" }, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } },
  };
  const matching = (...matches: { path: string; value?: string }[]) => selects({ groupResource: "deployments.apps", matches }, deployment, "deployments.apps");

  it("compare the value at a JSON Pointer, read as JSON the way patch values are", () => {
    expect(matching({ path: "/spec/replicas", value: "3" })).toBe(true);
    expect(matching({ path: "/spec/replicas", value: '"3"' })).toBe(false);
    expect(matching({ path: "/metadata/labels/replicas", value: "3" })).toBe(false);
    expect(matching({ path: "/metadata/labels/replicas", value: '"3"' })).toBe(true);
    expect(matching({ path: "/spec/paused", value: "false" })).toBe(true);
    expect(matching({ path: "/spec/strategy", value: '{"type": "RollingUpdate"}' })).toBe(true);
    expect(matching({ path: "/spec/template/spec/containers/0/image", value: "nginx" })).toBe(true);
    expect(matching({ path: "/metadata/labels/app.kubernetes.io~1name", value: "web" })).toBe(true);
  });

  it("all must hold", () => {
    expect(matching({ path: "/spec/replicas", value: "3" }, { path: "/spec/paused", value: "false" })).toBe(true);
    expect(matching({ path: "/spec/replicas", value: "3" }, { path: "/spec/paused", value: "true" })).toBe(false);
  });

  it("a missing path does not match, whatever the value", () => {
    expect(matching({ path: "/spec/minReadySeconds", value: "null" })).toBe(false);
    expect(matching({ path: "/spec/template/spec/containers/1/image", value: "nginx" })).toBe(false);
    expect(matching({ path: "/spec/replicas/x", value: "3" })).toBe(false);
    expect(matching({ path: "/spec/template/spec/containers/-", value: "nginx" })).toBe(false);
  });
});

describe("JSON Patch values", () => {
  const cases: [value: string | undefined, expected: unknown][] = [
    ["null", null],
    ["true", true],
    ["false", false],
    ["3", 3],
    ["-1.5e2", -150],
    ['{"a": [1, {"b": null}]}', { a: [1, { b: null }] }],
    ["[1, 2]", [1, 2]],
    ['"3"', "3"],
    ['"true"', "true"],
    ['""', ""],
    ["premium", "premium"],
    ["True", "True"],
    ["007", "007"],
    ["1.", "1."],
    ["nginx:1.25 # not a comment", "nginx:1.25 # not a comment"],
    [undefined, ""],
  ];
  it.each(cases)("%j becomes %j", (value, expected) => {
    const patch = value === undefined ? { operation: "add", path: "/spec/x" } : { operation: "add", path: "/spec/x", value };
    const result = applyResourceModifiers(modifiers({ conditions: { groupResource: "pods" }, patches: [patch as never] }), pod("p"), {
      groupResource: "pods",
    });
    expect(result.errors).toEqual([]);
    expect((result.object["spec"] as Record<string, unknown>)["x"]).toEqual(expected);
  });
});

describe("applying rules", () => {
  const pvc = (storageClassName: string): KubeObject => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: "foo" },
    spec: { storageClassName },
  });
  const swap = (from: string, to: string): Rule => ({
    conditions: { groupResource: "persistentvolumeclaims", matches: [{ path: "/spec/storageClassName", value: from }] },
    patches: [{ operation: "replace", path: "/spec/storageClassName", value: to }],
  });

  it("checks every rule's conditions on the object as it was before any rule", () => {
    const chained = applyResourceModifiers(modifiers(swap("standard", "premium"), swap("premium", "gold")), pvc("standard"), {
      groupResource: "persistentvolumeclaims",
    });
    expect(chained.object).toEqual(pvc("premium"));
    expect(chained.appliedRules).toEqual([0]);
  });

  it("accumulates the patches of successive matching rules in order", () => {
    const both = applyResourceModifiers(modifiers(swap("standard", "premium"), swap("standard", "gold")), pvc("standard"), {
      groupResource: "persistentvolumeclaims",
    });
    expect(both.object).toEqual(pvc("gold"));
    expect(both.appliedRules).toEqual([0, 1]);

    const mixed = applyResourceModifiers(
      modifiers(
        { conditions: { groupResource: "pods" }, patches: [{ operation: "add", path: "/metadata/labels", value: '{"a": "1"}' }] },
        { conditions: { groupResource: "pods" }, mergePatches: [{ patchData: "metadata: {labels: {b: '2'}}" }] },
        { conditions: { groupResource: "pods" }, patches: [{ operation: "copy", from: "/metadata/labels/b", path: "/metadata/labels/c" }] },
      ),
      pod("p"),
      { groupResource: "pods" },
    );
    expect(mixed.object.metadata.labels).toEqual({ a: "1", b: "2", c: "2" });
    expect(mixed.appliedRules).toEqual([0, 1, 2]);
  });

  it("skips a rule whose test operation fails, silently and whole", () => {
    const rules = modifiers({
      conditions: { groupResource: "persistentvolumeclaims" },
      patches: [
        { operation: "replace", path: "/metadata/name", value: "renamed" },
        { operation: "test", path: "/spec/storageClassName", value: "premium" },
        { operation: "replace", path: "/spec/storageClassName", value: "standard" },
      ],
    });
    const original = pvc("gold");
    const skipped = applyResourceModifiers(rules, original, { groupResource: "persistentvolumeclaims" });
    expect(skipped).toEqual({ object: original, errors: [], appliedRules: [] });
    expect(skipped.object).toBe(original);

    const applied = applyResourceModifiers(rules, pvc("premium"), { groupResource: "persistentvolumeclaims" });
    expect(applied.object).toEqual({ ...pvc("standard"), metadata: { name: "renamed", namespace: "foo" } });
  });

  it("reports any other failure for its rule, and still applies the others", () => {
    const result = applyResourceModifiers(
      modifiers(
        swap("standard", "premium"),
        {
          conditions: { groupResource: "persistentvolumeclaims" },
          patches: [
            { operation: "add", path: "/metadata/labels/a", value: "x" },
            { operation: "replace", path: "/spec/volumeName", value: "v" },
          ],
        },
        { conditions: { groupResource: "persistentvolumeclaims" }, mergePatches: [{ patchData: '{"metadata": {"annotations": {"b": "y"}}}' }] },
      ),
      pvc("standard"),
      { groupResource: "persistentvolumeclaims" },
    );
    expect(result.appliedRules).toEqual([0, 2]);
    expect(result.object).toEqual({ ...pvc("premium"), metadata: { name: "data", namespace: "foo", annotations: { b: "y" } } });
    expect(result.errors).toHaveLength(1);
    const [failure] = result.errors;
    expect(failure).toMatchObject({ ruleIndex: 1, code: "Conflict" });
    expect(failure!.message).toMatch(/^resourceModifierRules\[1\]\.patches\[0\] \(add "\/metadata\/labels\/a"\): /);
    expect(isKBackupError(failure!.error, "Conflict")).toBe(true);
    expect(failure!.error.field).toBe("resourceModifierRules[1].patches[0]");
  });

  it("applies merge patches written as YAML or JSON, null deleting a field", () => {
    const object = pod("p", { labels: { keep: "1", drop: "2" } });
    const result = applyResourceModifiers(
      modifiers({
        conditions: { groupResource: "pods" },
        mergePatches: [{ patchData: "metadata:\n  labels:\n    drop: null\n    added: '3'\n" }, { patchData: '{"spec": {"nodeName": "n1"}}' }],
      }),
      object,
      { groupResource: "pods" },
    );
    expect(result.object.metadata.labels).toEqual({ keep: "1", added: "3" });
    expect(result.object["spec"]).toMatchObject({ nodeName: "n1" });
  });

  it("never modifies its input, and returns an object that shares nothing with it", () => {
    const object = deepFreeze(pod("web-1", { namespace: "prod", labels: { app: "web" } }));
    const snapshot = structuredClone(object);
    const rules = modifiers(
      { conditions: { groupResource: "pods" }, patches: [{ operation: "replace", path: "/spec/containers/0/image", value: "registry.example/nginx:1.25" }] },
      { conditions: { groupResource: "pods" }, mergePatches: [{ patchData: "metadata: {labels: {restored: 'true'}}" }] },
    );
    const result = applyResourceModifiers(rules, object, { groupResource: "pods" });
    expect(object).toEqual(snapshot);
    expect(result.object).toEqual({
      ...snapshot,
      metadata: { ...snapshot.metadata, labels: { app: "web", restored: "true" } },
      spec: { containers: [{ name: "app", image: "registry.example/nginx:1.25" }] },
    });
    // Only touched paths are rebuilt by the patches; the rest must still be a private copy.
    (result.object["spec"] as { containers: { name: string }[] }).containers[0]!.name = "changed";
    result.object.metadata.namespace = "elsewhere";
    expect(object).toEqual(snapshot);
  });

  it("returns the input itself when no rule applies", () => {
    const object = pod("p");
    const result = applyResourceModifiers(modifiers({ conditions: { groupResource: "services" }, ...mark }), object, { groupResource: "pods" });
    expect(result).toEqual({ object, errors: [], appliedRules: [] });
    expect(result.object).toBe(object);
  });

  it("refuses a missing groupResource or a non-object", () => {
    const rules = modifiers({ conditions: { groupResource: "pods" }, ...mark });
    expect(() => applyResourceModifiers(rules, pod("p"), { groupResource: "" })).toThrow(/^groupResource: /);
    expect(() => applyResourceModifiers(rules, null as never, { groupResource: "pods" })).toThrow(/^object: /);
  });
});
