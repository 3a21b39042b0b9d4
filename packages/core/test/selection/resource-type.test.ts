import { describe, expect, it } from "vitest";
import {
  groupResourceOf,
  isKBackupError,
  parseResourceTypeSpec,
  resolveResourceTypes,
  resourceTypeSpecProblem,
  tryParseResourceTypeSpec,
  type ResourceTypeSpec,
} from "@kbackup/core";
import { discovery } from "./discovery.js";

function resolveNames(specs: string[]): string[] {
  return resolveResourceTypes(specs, discovery, "types").map(groupResourceOf);
}

function resolveError(specs: string[]) {
  try {
    resolveResourceTypes(specs, discovery, "datasourceParameters.includedResourceTypes");
  } catch (error) {
    if (isKBackupError(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("tryParseResourceTypeSpec", () => {
  const forms: Array<[string, ResourceTypeSpec]> = [
    ["secrets", { form: "name", name: "secrets" }],
    ["Secret", { form: "name", name: "secret" }],
    ["cm", { form: "name", name: "cm" }],
    ["deployments.apps", { form: "resource.group", resource: "deployments", group: "apps" }],
    ["storageclasses.storage.k8s.io", { form: "resource.group", resource: "storageclasses", group: "storage.k8s.io" }],
    ["v1/Secret", { form: "version/kind", version: "v1", kind: "secret" }],
    ["v2beta1/Thing", { form: "version/kind", version: "v2beta1", kind: "thing" }],
    ["apps/v1/Deployment", { form: "group/version/kind", group: "apps", version: "v1", kind: "deployment" }],
    ["cert-manager.io/v1/Certificate", { form: "group/version/kind", group: "cert-manager.io", version: "v1", kind: "certificate" }],
  ];
  for (const [spec, parsed] of forms) {
    it(`parses ${spec}`, () => {
      expect(tryParseResourceTypeSpec(spec)).toEqual(parsed);
      expect(parseResourceTypeSpec(spec)).toEqual(parsed);
      expect(resourceTypeSpecProblem(spec)).toBeUndefined();
    });
  }

  const malformed = ["", " secrets", "secrets ", "apps/Deployment", "v1/", "/v1/Secret", "apps/v1/", "apps/v1/Deployment/x", "deployments.", ".apps", "v1/Secret.apps", "*", "deploy ments", "apps/1/Deployment", "apps/v1/9Deployment"];
  for (const spec of malformed) {
    it(`rejects the form ${JSON.stringify(spec)}`, () => {
      expect(tryParseResourceTypeSpec(spec)).toBeUndefined();
      expect(resourceTypeSpecProblem(spec)).toContain(`"${spec}" is not a resource type: write a resource type as a plural resource (secrets)`);
      try {
        parseResourceTypeSpec(spec, "spec.types[0]");
        expect.unreachable();
      } catch (error) {
        expect(isKBackupError(error, "InvalidArgument")).toBe(true);
        expect((error as Error).message).toMatch(/^spec\.types\[0\]: /);
      }
    });
  }
});

describe("resolveResourceTypes", () => {
  const cases: Array<[string, string]> = [
    ["secrets", "secrets"],
    ["Secrets", "secrets"],
    ["Secret", "secrets"],
    ["secret", "secrets"],
    ["v1/Secret", "secrets"],
    ["cm", "configmaps"],
    ["ConfigMap", "configmaps"],
    ["deployments.apps", "deployments.apps"],
    ["apps/v1/Deployment", "deployments.apps"],
    ["deployment", "deployments.apps"],
    ["deploy", "deployments.apps"],
    ["storageclasses.storage.k8s.io", "storageclasses.storage.k8s.io"],
    ["storage.k8s.io/v1/StorageClass", "storageclasses.storage.k8s.io"],
    // The version only needs to be well formed: discovery lists preferred versions only.
    ["apps/v1beta2/Deployment", "deployments.apps"],
    // A name served by the core group and another group means the core one.
    ["events", "events"],
    ["Event", "events"],
    ["ev", "events"],
    ["events.events.k8s.io", "events.events.k8s.io"],
    ["events.k8s.io/v1/Event", "events.events.k8s.io"],
    ["certificates.cert-manager.io", "certificates.cert-manager.io"],
    ["example.com/v1alpha1/Certificate", "certificates.example.com"],
  ];
  for (const [spec, name] of cases) {
    it(`resolves ${spec} to ${name}`, () => {
      expect(resolveNames([spec])).toEqual([name]);
    });
  }

  it("returns each type once, in the order first named", () => {
    expect(resolveNames(["deploy", "secrets", "v1/Secret", "apps/v1/Deployment", "cm"])).toEqual(["deployments.apps", "secrets", "configmaps"]);
    expect(resolveNames([])).toEqual([]);
  });

  it("returns the discovered objects themselves", () => {
    expect(resolveResourceTypes(["pv"], discovery, "types")[0]).toBe(discovery.find((resource) => resource.resource === "persistentvolumes"));
  });

  it("rejects an unknown type, naming it and listing the forms", () => {
    const error = resolveError(["secrets", "widgets"]);
    expect(error.code).toBe("InvalidArgument");
    expect(error.field).toBe("datasourceParameters.includedResourceTypes[1]");
    expect(error.message).toContain(`datasourceParameters.includedResourceTypes[1]: unknown resource type "widgets"`);
    expect(error.message).toContain("plural resource (secrets), <resource>.<group> (deployments.apps");
    expect(error.message).toContain("<version>/<Kind> for the core group (v1/Secret), <group>/<version>/<Kind> (apps/v1/Deployment)");
    expect(error.message).toContain("a kind (Secret, deployment) or a short name (cm, deploy)");
  });

  const unknown: Array<[string, string]> = [
    ["Deployment.apps", "a kind is not a resource in <resource>.<group>"],
    ["deployments.extensions", "a group that does not serve it"],
    ["v1/Deployment", "a non-core kind under the core group"],
    ["batch/v1/Deployment", "a kind in the wrong group"],
    ["secrets.apps", "a core resource under another group"],
  ];
  for (const [spec, why] of unknown) {
    it(`rejects ${spec}: ${why}`, () => {
      expect(resolveError([spec]).message).toContain(`unknown resource type "${spec}"`);
    });
  }

  it("rejects an ambiguous name, listing what it names", () => {
    const error = resolveError(["cert"]);
    expect(error.message).toContain(`resource type "cert" is ambiguous: it names certificates.cert-manager.io, certificates.example.com`);
    expect(resolveError(["Certificate"]).message).toContain("is ambiguous");
  });

  it("lists every fault in one error", () => {
    const error = resolveError(["widgets", "secrets", "apps/Deployment", "cert"]);
    expect(error.field).toBe("datasourceParameters.includedResourceTypes");
    expect(error.message).toContain("has 3 problems");
    expect(error.message).toContain("includedResourceTypes[0]: unknown resource type");
    expect(error.message).toContain(`includedResourceTypes[2]: "apps/Deployment" is not a resource type`);
    expect(error.message).toContain("includedResourceTypes[3]: resource type");
    expect((error.details?.faults as unknown[]).length).toBe(3);
  });
});
