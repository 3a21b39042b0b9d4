import { describe, expect, it } from "vitest";
import { patchSchemaFromOpenApi, strategicMergePatch, type PatchSchema } from "@kbackup/core";

// Trimmed to the shape the API server publishes: the facts that matter to patching, no descriptions.
const v2 = {
  swagger: "2.0",
  definitions: {
    "io.k8s.api.apps.v1.Deployment": {
      type: "object",
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
        spec: { $ref: "#/definitions/io.k8s.api.apps.v1.DeploymentSpec" },
      },
      "x-kubernetes-group-version-kind": [{ group: "apps", kind: "Deployment", version: "v1" }],
    },
    "io.k8s.api.apps.v1.DeploymentSpec": {
      type: "object",
      properties: {
        replicas: { type: "integer", format: "int32" },
        strategy: { $ref: "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy", "x-kubernetes-patch-strategy": "retainKeys" },
        template: { $ref: "#/definitions/io.k8s.api.core.v1.PodTemplateSpec" },
      },
    },
    "io.k8s.api.apps.v1.DeploymentStrategy": { type: "object", properties: { type: { type: "string" }, rollingUpdate: { type: "object" } } },
    "io.k8s.api.core.v1.PodTemplateSpec": {
      type: "object",
      properties: {
        metadata: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
        spec: { $ref: "#/definitions/io.k8s.api.core.v1.PodSpec" },
      },
    },
    "io.k8s.api.core.v1.PodSpec": {
      type: "object",
      properties: {
        containers: {
          type: "array",
          items: { $ref: "#/definitions/io.k8s.api.core.v1.Container" },
          "x-kubernetes-patch-merge-key": "name",
          "x-kubernetes-patch-strategy": "merge",
        },
        tolerations: { type: "array", items: { type: "object" }, "x-kubernetes-list-type": "atomic" },
        nodeSelector: { type: "object", additionalProperties: { type: "string" } },
      },
    },
    "io.k8s.api.core.v1.Container": {
      type: "object",
      properties: {
        name: { type: "string" },
        env: { type: "array", items: { $ref: "#/definitions/io.k8s.api.core.v1.EnvVar" }, "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge" },
      },
    },
    "io.k8s.api.core.v1.EnvVar": { type: "object", properties: { name: { type: "string" }, value: { type: "string" } } },
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
      type: "object",
      properties: {
        finalizers: { type: "array", items: { type: "string" }, "x-kubernetes-patch-strategy": "merge" },
        labels: { type: "object", additionalProperties: { type: "string" } },
      },
    },
  },
};

// The v3 form: references wrapped in allOf next to the patch extensions, and a recursive schema.
const v3 = {
  openapi: "3.0.0",
  components: {
    schemas: {
      "io.k8s.api.apps.v1.Deployment": {
        type: "object",
        properties: {
          spec: { allOf: [{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec" }], default: {} },
        },
        "x-kubernetes-group-version-kind": [{ group: "apps", kind: "Deployment", version: "v1" }],
      },
      "io.k8s.api.apps.v1.DeploymentSpec": {
        type: "object",
        properties: {
          strategy: {
            allOf: [{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" }],
            default: {},
            "x-kubernetes-patch-strategy": "retainKeys",
          },
          template: { allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec" }] },
        },
      },
      "io.k8s.api.apps.v1.DeploymentStrategy": { type: "object", properties: { type: { type: "string" } } },
      "io.k8s.api.core.v1.PodTemplateSpec": {
        allOf: [{ $ref: "#/components/schemas/base.Spec" }, { type: "object", properties: { extra: { type: "string" } } }],
      },
      "base.Spec": {
        type: "object",
        properties: {
          spec: {
            type: "object",
            properties: {
              containers: {
                type: "array",
                items: { allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.Container" }], default: {} },
                "x-kubernetes-patch-merge-key": "name",
                "x-kubernetes-patch-strategy": "merge",
              },
            },
          },
        },
      },
      "io.k8s.api.core.v1.Container": { type: "object", properties: { name: { type: "string" } } },
      "io.k8s.apiextensions.v1.JSONSchemaProps": {
        type: "object",
        properties: {
          properties: { type: "object", additionalProperties: { allOf: [{ $ref: "#/components/schemas/io.k8s.apiextensions.v1.JSONSchemaProps" }] } },
          required: { type: "array", items: { type: "string" } },
        },
        "x-kubernetes-group-version-kind": [{ group: "example.com", kind: "Schema", version: "v1" }],
      },
    },
  },
};

const at = (schema: PatchSchema | undefined, ...path: string[]): PatchSchema | undefined =>
  path.reduce<PatchSchema | undefined>((node, key) => (node?.type === "map" ? node.values : node?.type === "list" && key === "[]" ? node.items : node?.fields?.[key]), schema);

describe("patchSchemaFromOpenApi", () => {
  it("reads a v2 document's definitions, following $ref", () => {
    const schema = patchSchemaFromOpenApi(v2, { group: "apps", version: "v1", kind: "Deployment" });
    expect(at(schema, "spec", "template", "spec", "containers")).toMatchObject({ type: "list", patchStrategy: "merge", patchMergeKey: "name" });
    expect(at(schema, "spec", "template", "spec", "containers", "[]", "env")).toMatchObject({ patchStrategy: "merge", patchMergeKey: "name" });
    expect(at(schema, "spec", "strategy")).toMatchObject({ type: "object", patchStrategy: "retainKeys" });
    expect(at(schema, "spec", "template", "spec", "tolerations")).toMatchObject({ type: "list" });
    expect(at(schema, "spec", "template", "spec", "tolerations")?.patchStrategy).toBeUndefined();
    expect(at(schema, "metadata", "labels")).toMatchObject({ type: "map" });
    expect(at(schema, "metadata", "finalizers")).toMatchObject({ type: "list", patchStrategy: "merge" });
  });

  it("builds a schema that strategicMergePatch applies like the built-in one", () => {
    const schema = patchSchemaFromOpenApi(v2, { group: "apps", version: "v1", kind: "Deployment" });
    const original = { spec: { template: { spec: { containers: [{ name: "a", image: "1" }, { name: "b", image: "1" }] } } } };
    const patch = { spec: { template: { spec: { containers: [{ name: "b", image: "2" }] } } } };
    const expected = { spec: { template: { spec: { containers: [{ name: "a", image: "1" }, { name: "b", image: "2" }] } } } };
    expect(strategicMergePatch(original, patch, { ...(schema === undefined ? {} : { schema }) })).toEqual(expected);
    expect(strategicMergePatch(original, patch, { apiVersion: "apps/v1", kind: "Deployment" })).toEqual(expected);
  });

  it("reads a v3 document's components, following allOf", () => {
    const schema = patchSchemaFromOpenApi(v3, { group: "apps", version: "v1", kind: "Deployment" });
    expect(at(schema, "spec", "strategy")).toMatchObject({ type: "object", patchStrategy: "retainKeys" });
    expect(at(schema, "spec", "template", "spec", "containers")).toMatchObject({ patchStrategy: "merge", patchMergeKey: "name" });
    expect(at(schema, "spec", "template", "extra")).toMatchObject({ type: "primitive" });
    expect(at(schema, "spec", "template", "spec", "containers", "[]", "name")).toMatchObject({ type: "primitive" });
  });

  it("ends on recursive schemas", () => {
    const schema = patchSchemaFromOpenApi(v3, { group: "example.com", version: "v1", kind: "Schema" });
    expect(at(schema, "properties", "x", "properties", "y", "required")).toMatchObject({ type: "list" });
    expect(at(schema, "properties", "x")).toBe(schema);
  });

  it("returns undefined for a kind the document does not have", () => {
    expect(patchSchemaFromOpenApi(v2, { group: "apps", version: "v1", kind: "StatefulSet" })).toBeUndefined();
    expect(patchSchemaFromOpenApi(v2, { group: "", version: "v1", kind: "Deployment" })).toBeUndefined();
  });

  it("rejects documents without schemas and unknown strategies", () => {
    expect(() => patchSchemaFromOpenApi({ paths: {} }, { group: "", version: "v1", kind: "Pod" })).toThrow(/definitions|components/);
    const bad = {
      definitions: {
        pod: { type: "object", properties: { spec: { type: "array", "x-kubernetes-patch-strategy": "shuffle" } }, "x-kubernetes-group-version-kind": [{ group: "", version: "v1", kind: "Pod" }] },
      },
    };
    expect(() => patchSchemaFromOpenApi(bad, { group: "", version: "v1", kind: "Pod" })).toThrow(/shuffle/);
  });
});
