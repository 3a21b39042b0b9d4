import { describe, expect, it } from "vitest";
import {
  compileSelection,
  isKBackupError,
  parseBackupDatasourceParameters,
  parseRestoreCriteria,
  SYSTEM_NAMESPACES,
  type ApiResource,
  type KubeObject,
  type SelectionCriteria,
} from "@kbackup/core";
import { discovery, typeNamed } from "./discovery.js";

const secrets = typeNamed("secrets");
const configmaps = typeNamed("configmaps");
const deployments = typeNamed("deployments.apps");
const namespaces = typeNamed("namespaces");
const storageclasses = typeNamed("storageclasses.storage.k8s.io");
const persistentvolumes = typeNamed("persistentvolumes");

function object(kind: string, name: string, namespace?: string, labels?: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "v1", kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}), ...extra } };
}

function select(criteria: SelectionCriteria) {
  return compileSelection(criteria, discovery);
}

describe("compileSelection: namespaces", () => {
  it("selects every namespace but the system ones when none is listed", () => {
    const selection = select({});
    expect(selection.selectsNamespace("app")).toBe(true);
    for (const system of SYSTEM_NAMESPACES) expect(selection.selectsNamespace(system)).toBe(false);
    expect(SYSTEM_NAMESPACES).toEqual(["kube-system", "kube-public", "kube-node-lease"]);
  });

  it("treats an empty included list as all", () => {
    expect(select({ includedNamespaces: [] }).selectsNamespace("app")).toBe(true);
  });

  it("selects only included namespaces, minus excluded ones", () => {
    const selection = select({ includedNamespaces: ["app", "db", "kube-system"], excludedNamespaces: ["db"] });
    expect(selection.selectsNamespace("app")).toBe(true);
    expect(selection.selectsNamespace("db")).toBe(false);
    expect(selection.selectsNamespace("other")).toBe(false);
    expect(selection.selectsNamespace("kube-system")).toBe(false);
  });

  it("selects namespaced objects by their namespace", () => {
    const selection = select({ includedNamespaces: ["app"] });
    expect(selection.selectsObject(secrets, object("Secret", "s", "app"))).toBe(true);
    expect(selection.selectsObject(secrets, object("Secret", "s", "other"))).toBe(false);
    expect(selection.selectsObject(secrets, object("Secret", "s"))).toBe(false);
    expect(select({}).selectsObject(secrets, object("Secret", "s", "kube-system"))).toBe(false);
  });
});

describe("compileSelection: resource types", () => {
  it("selects every type when none is included", () => {
    const selection = select({});
    for (const type of discovery) expect(selection.selectsResourceType(type)).toBe(true);
  });

  it("selects only included types, in any form, minus excluded ones", () => {
    const selection = select({ includedResourceTypes: ["Secret", "deploy", "cm"], excludedResourceTypes: ["v1/ConfigMap"] });
    expect(selection.selectsResourceType(secrets)).toBe(true);
    expect(selection.selectsResourceType(deployments)).toBe(true);
    expect(selection.selectsResourceType(configmaps)).toBe(false);
    expect(selection.selectsResourceType(typeNamed("statefulsets.apps"))).toBe(false);
    expect(selection.selectsObject(configmaps, object("ConfigMap", "c", "app"))).toBe(false);
    expect(selection.selectsObject(deployments, object("Deployment", "d", "app"))).toBe(true);
  });

  it("compares types by group and resource, not by object or version", () => {
    const selection = select({ includedResourceTypes: ["deployments.apps"] });
    expect(selection.selectsResourceType({ group: "apps", resource: "deployments", namespaced: true })).toBe(true);
    const older: ApiResource = { ...deployments, version: "v1beta2" };
    expect(selection.selectsResourceType(older)).toBe(true);
    expect(selection.selectsResourceType({ group: "extensions", resource: "deployments", namespaced: true })).toBe(false);
  });

  it("selects cluster-scoped types only with includeClusterScopeResources", () => {
    expect(select({}).selectsResourceType(storageclasses)).toBe(true);
    expect(select({ includeClusterScopeResources: true }).selectsObject(storageclasses, object("StorageClass", "fast"))).toBe(true);
    const without = select({ includeClusterScopeResources: false, includedResourceTypes: ["storageclasses.storage.k8s.io", "secrets"] });
    expect(without.selectsResourceType(storageclasses)).toBe(false);
    expect(without.selectsResourceType(persistentvolumes)).toBe(false);
    expect(without.selectsObject(storageclasses, object("StorageClass", "fast"))).toBe(false);
    expect(without.selectsResourceType(secrets)).toBe(true);
  });

  it("selects cluster-scoped objects whatever the namespace lists say", () => {
    expect(select({ includedNamespaces: ["app"] }).selectsObject(storageclasses, object("StorageClass", "fast"))).toBe(true);
  });

  it("throws one InvalidArgument for unknown types, under the field given", () => {
    try {
      compileSelection({ includedResourceTypes: ["widgets"], excludedResourceTypes: ["gadgets"] }, discovery, { field: "datasourceParameters" });
      expect.unreachable();
    } catch (error) {
      expect(isKBackupError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toContain(`datasourceParameters.includedResourceTypes[0]: unknown resource type "widgets"`);
    }
    try {
      select({ excludedResourceTypes: ["secrets", "gadgets"] });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain(`selection.excludedResourceTypes[1]: unknown resource type "gadgets"`);
    }
  });
});

describe("compileSelection: Namespace objects", () => {
  const ns = (name: string, labels?: Record<string, string>) => object("Namespace", name, undefined, labels);

  it("are selected with their namespace, whatever includeClusterScopeResources, included types and label selectors say", () => {
    const selection = select({
      includeClusterScopeResources: false,
      includedNamespaces: ["app"],
      includedResourceTypes: ["secrets"],
      labelSelectors: ["team=a"],
    });
    expect(selection.selectsResourceType(namespaces)).toBe(true);
    expect(selection.selectsObject(namespaces, ns("app"))).toBe(true);
    expect(selection.selectsObject(namespaces, ns("other", { team: "a" }))).toBe(false);
    expect(selection.selectsObject(namespaces, ns("kube-system"))).toBe(false);
  });

  it("are not selected when the namespaces type is excluded", () => {
    const selection = select({ excludedResourceTypes: ["ns"] });
    expect(selection.selectsResourceType(namespaces)).toBe(false);
    expect(selection.selectsObject(namespaces, ns("app"))).toBe(false);
  });
});

describe("compileSelection: labels and exclusions", () => {
  it("selects objects that match any one label selector", () => {
    const selection = select({ labelSelectors: ["app=web", "tier in (db),!legacy"] });
    expect(selection.selectsObject(secrets, object("Secret", "a", "app", { app: "web" }))).toBe(true);
    expect(selection.selectsObject(secrets, object("Secret", "b", "app", { tier: "db" }))).toBe(true);
    expect(selection.selectsObject(secrets, object("Secret", "c", "app", { tier: "db", legacy: "1" }))).toBe(false);
    expect(selection.selectsObject(secrets, object("Secret", "d", "app"))).toBe(false);
    expect(selection.selectsObject(storageclasses, object("StorageClass", "e", undefined, { app: "web" }))).toBe(true);
    expect(selection.selectsObject(storageclasses, object("StorageClass", "f"))).toBe(false);
  });

  it("applies no label filter for an empty list", () => {
    expect(select({ labelSelectors: [] }).selectsObject(secrets, object("Secret", "a", "app"))).toBe(true);
  });

  it("throws InvalidArgument naming an invalid selector", () => {
    try {
      compileSelection({ labelSelectors: ["a=b", "c in ()"] }, discovery, { field: "restoreCriteria" });
      expect.unreachable();
    } catch (error) {
      expect(isKBackupError(error, "InvalidArgument")).toBe(true);
      expect((error as { field?: string }).field).toBe("restoreCriteria.labelSelectors[1]");
    }
  });

  const excluded: Array<[string, KubeObject]> = [
    ["kbackup.io/exclude-from-backup=true", object("Secret", "a", "app", { "kbackup.io/exclude-from-backup": "true", app: "web" })],
    ["velero.io/exclude-from-backup=true", object("Secret", "b", "app", { "velero.io/exclude-from-backup": "true", app: "web" })],
    ["metadata.deletionTimestamp", object("Secret", "c", "app", { app: "web" }, { deletionTimestamp: "2024-01-01T00:00:00Z" })],
  ];
  for (const [why, item] of excluded) {
    it(`never selects an object with ${why}`, () => {
      expect(select({}).selectsObject(secrets, item)).toBe(false);
      expect(select({ labelSelectors: ["app=web"], includedNamespaces: ["app"] }).selectsObject(secrets, item)).toBe(false);
    });
  }

  it("selects an object whose exclude label is not true", () => {
    expect(select({}).selectsObject(secrets, object("Secret", "a", "app", { "kbackup.io/exclude-from-backup": "false" }))).toBe(true);
  });

  it("never selects an excluded or deleting Namespace object", () => {
    expect(select({}).selectsObject(namespaces, object("Namespace", "app", undefined, { "velero.io/exclude-from-backup": "true" }))).toBe(false);
    expect(select({}).selectsObject(namespaces, object("Namespace", "app", undefined, undefined, { deletionTimestamp: "2024-01-01T00:00:00Z" }))).toBe(false);
  });
});

describe("compileSelection: listLabelSelector", () => {
  it("gives the one selector for the server to filter, except for namespaces", () => {
    const selection = select({ labelSelectors: [" app = web "] });
    expect(selection.listLabelSelector(secrets)).toBe("app=web");
    expect(selection.listLabelSelector(namespaces)).toBeUndefined();
  });

  it("gives none when there are none or several", () => {
    expect(select({}).listLabelSelector(secrets)).toBeUndefined();
    expect(select({ labelSelectors: ["a=b", "c=d"] }).listLabelSelector(secrets)).toBeUndefined();
  });
});

describe("compileSelection: one code for backup and restore", () => {
  const items: Array<[typeof secrets, KubeObject]> = [
    [secrets, object("Secret", "s", "app", { app: "web" })],
    [secrets, object("Secret", "t", "db", { app: "web" })],
    [configmaps, object("ConfigMap", "c", "app", { app: "api" })],
    [storageclasses, object("StorageClass", "fast", undefined, { app: "web" })],
    [namespaces, object("Namespace", "app")],
    [namespaces, object("Namespace", "db")],
  ];
  const fields = {
    includeClusterScopeResources: false,
    includedNamespaces: ["app"],
    labelSelectors: ["app=web"],
  };

  it("selects the same objects from backup parameters and restore criteria with the same fields", () => {
    const backup = compileSelection(parseBackupDatasourceParameters(fields), discovery, { field: "datasourceParameters" });
    const restore = compileSelection(parseRestoreCriteria(fields), discovery, { field: "restoreCriteria" });
    const chosen = (selection: typeof backup) => items.filter(([type, item]) => selection.selectsObject(type, item)).map(([, item]) => item.metadata.name);
    expect(chosen(backup)).toEqual(["s", "app"]);
    expect(chosen(restore)).toEqual(chosen(backup));
  });

  it("defaults includeClusterScopeResources to true when absent", () => {
    expect(select({}).selectsResourceType(storageclasses)).toBe(true);
  });
});
