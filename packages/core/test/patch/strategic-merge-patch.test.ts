import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isKBackupError, patchSchemaFor, strategicMergePatch, type PatchSchema } from "@kbackup/core";

interface Case {
  name: string;
  schema?: "mergeItem";
  original: Record<string, unknown>;
  patch: Record<string, unknown>;
  expected?: Record<string, unknown>;
  error?: { code: string; message: string; field?: string };
}

// The shape of the test type Kubernetes' own strategic merge patch tests use.
function mergeItemSchema(): PatchSchema {
  const fields: Record<string, PatchSchema> = {};
  const mergeItem: PatchSchema = { type: "object", fields };
  const retainKeysItem: PatchSchema = {
    type: "object",
    fields: {
      mergingIntList: { type: "list", items: { type: "primitive" }, patchStrategy: "merge" },
      mergingList: { type: "list", items: mergeItem, patchStrategy: "merge", patchMergeKey: "name" },
    },
  };
  Object.assign(fields, {
    mergingList: { type: "list", items: mergeItem, patchStrategy: "merge", patchMergeKey: "name" },
    nonMergingList: { type: "list", items: mergeItem },
    mergingIntList: { type: "list", items: { type: "primitive" }, patchStrategy: "merge" },
    nonMergingIntList: { type: "list", items: { type: "primitive" } },
    simpleMap: { type: "map", values: { type: "primitive" } },
    replacingItem: { type: "object", patchStrategy: "replace" },
    retainKeysMap: { ...retainKeysItem, patchStrategy: "retainKeys" },
    retainKeysMergingList: { type: "list", items: mergeItem, patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
  } satisfies Record<string, PatchSchema>);
  return mergeItem;
}

const mergeItem = mergeItemSchema();
const cases = parse(readFileSync(new URL("./strategic-merge-cases.yaml", import.meta.url), "utf8")) as Case[];

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function run(c: Case): object {
  return strategicMergePatch(c.original, c.patch, c.schema === "mergeItem" ? { schema: mergeItem } : {});
}

describe("strategicMergePatch: case table", () => {
  it("has a case for every directive and error", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const text = JSON.stringify(cases);
    for (const word of ["$patch", "$retainKeys", "$setElementOrder/", "$deleteFromPrimitiveList/", "Unsupported"]) expect(text).toContain(word);
  });

  for (const c of cases) {
    it(c.name, () => {
      deepFreeze(c.original);
      deepFreeze(c.patch);
      if (c.error !== undefined) {
        let thrown: unknown;
        try {
          run(c);
        } catch (error) {
          thrown = error;
        }
        expect(isKBackupError(thrown), "expected a KBackupError").toBe(true);
        const error = thrown as { code: string; message: string; field?: string };
        expect(error.code).toBe(c.error.code);
        expect(error.message).toContain(c.error.message);
        if (c.error.field !== undefined) expect(error.field).toBe(c.error.field);
        return;
      }
      expect(run(c)).toEqual(c.expected);
    });
  }
});

describe("strategicMergePatch", () => {
  it("shares untouched subtrees with the original and never writes to it", () => {
    const original = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "a" }], volumes: [{ name: "v", emptyDir: {} }] } } },
    };
    const result = strategicMergePatch(original, { spec: { replicas: 2 } }) as typeof original;
    expect(result.spec.replicas).toBe(2);
    expect(original.spec.replicas).toBe(1);
    expect(result.metadata).toBe(original.metadata);
    expect(result.spec.template).toBe(original.spec.template);
  });

  it("does not let the result alias values of the patch", () => {
    const patch = { metadata: { labels: { a: "1" } }, spec: { args: ["x"] } };
    const result = strategicMergePatch({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }, patch) as typeof patch;
    expect(result.spec.args).toEqual(["x"]);
    expect(result.spec.args).not.toBe(patch.spec.args);
    expect(result.metadata.labels).not.toBe(patch.metadata.labels);
  });

  it("uses options.schema for kinds it does not know, and options.apiVersion/kind over the object's", () => {
    const schema: PatchSchema = { type: "object", fields: { spec: { type: "object", fields: { items: { type: "list", patchStrategy: "merge", patchMergeKey: "id" } } } } };
    const widget = { apiVersion: "example.com/v1", kind: "Widget", spec: { items: [{ id: 1, v: "a" }] } };
    expect(strategicMergePatch(widget, { spec: { items: [{ id: 1, v: "b" }] } }, { schema })).toEqual({ ...widget, spec: { items: [{ id: 1, v: "b" }] } });
    const bare = { spec: { template: { spec: { containers: [{ name: "a", image: "1" }] } } } };
    const patched = strategicMergePatch(bare, { spec: { template: { spec: { containers: [{ name: "a", image: "2" }] } } } }, { apiVersion: "apps/v1", kind: "Deployment" });
    expect(patched).toEqual({ spec: { template: { spec: { containers: [{ name: "a", image: "2" }] } } } });
    expect(() => strategicMergePatch(bare, {})).toThrow(/not supported for custom resources/);
  });

  it("rejects arguments that are not objects", () => {
    expect(() => strategicMergePatch([] as unknown as object, {}, { schema: mergeItem })).toThrow(/original/);
    expect(() => strategicMergePatch({}, null as unknown as object, { schema: mergeItem })).toThrow(/patch/);
  });

  it("treats __proto__ as an ordinary key", () => {
    const patch = JSON.parse('{"simpleMap":{"__proto__":{"polluted":true}}}') as object;
    const result = strategicMergePatch({ simpleMap: {} }, patch, { schema: mergeItem }) as { simpleMap: object };
    expect(Object.keys(result.simpleMap)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(result.simpleMap)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

describe("patchSchemaFor", () => {
  it("knows the workload kinds and their pod templates", () => {
    const containers = (schema: PatchSchema | undefined, ...path: string[]) =>
      path.reduce<PatchSchema | undefined>((node, key) => node?.fields?.[key], schema);
    for (const [apiVersion, kind, path] of [
      ["v1", "Pod", ["spec", "containers"]],
      ["v1", "ReplicationController", ["spec", "template", "spec", "containers"]],
      ["v1", "PodTemplate", ["template", "spec", "containers"]],
      ["apps/v1", "Deployment", ["spec", "template", "spec", "containers"]],
      ["apps/v1", "StatefulSet", ["spec", "template", "spec", "containers"]],
      ["apps/v1", "DaemonSet", ["spec", "template", "spec", "containers"]],
      ["apps/v1", "ReplicaSet", ["spec", "template", "spec", "containers"]],
      ["batch/v1", "Job", ["spec", "template", "spec", "containers"]],
      ["batch/v1", "CronJob", ["spec", "jobTemplate", "spec", "template", "spec", "containers"]],
    ] as const) {
      expect(containers(patchSchemaFor(apiVersion, kind), ...path), `${apiVersion} ${kind}`).toMatchObject({ patchStrategy: "merge", patchMergeKey: "name" });
    }
    const podSpec = patchSchemaFor("v1", "Pod")?.fields?.["spec"];
    expect(podSpec?.fields?.["volumes"]).toMatchObject({ patchStrategy: "merge,retainKeys", patchMergeKey: "name" });
    expect(podSpec?.fields?.["tolerations"]).toBeUndefined();
    expect(podSpec?.fields?.["containers"]?.items?.fields?.["env"]).toMatchObject({ patchStrategy: "merge", patchMergeKey: "name" });
    expect(patchSchemaFor("apps/v1", "Deployment")?.fields?.["spec"]?.fields?.["strategy"]).toMatchObject({ patchStrategy: "retainKeys" });
  });

  it("returns undefined for custom resources and unknown versions", () => {
    expect(patchSchemaFor("example.com/v1", "Widget")).toBeUndefined();
    expect(patchSchemaFor("apps/v9", "Deployment")).toBeUndefined();
    expect(patchSchemaFor("v1", "toString")).toBeUndefined();
  });
});
