import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isKBackupError, parseBackupDatasourceParameters, type Fault } from "@kbackup/core";

function faultsOf(input: unknown): Fault[] {
  try {
    parseBackupDatasourceParameters(input);
  } catch (error) {
    if (!isKBackupError(error, "InvalidArgument")) throw error;
    return error.details?.faults as Fault[];
  }
  throw new Error("expected an error");
}

describe("parseBackupDatasourceParameters: defaults", () => {
  it("fills objectType, snapshotVolumes and includeClusterScopeResources", () => {
    expect(parseBackupDatasourceParameters({})).toEqual({
      objectType: "KubernetesClusterBackupDatasourceParameters",
      snapshotVolumes: true,
      includeClusterScopeResources: true,
    });
  });

  it("keeps what is given", () => {
    const input = {
      objectType: "KubernetesClusterBackupDatasourceParameters",
      snapshotVolumes: false,
      includeClusterScopeResources: false,
      includedNamespaces: ["app", "db-1"],
      excludedNamespaces: ["scratch"],
      includedResourceTypes: ["secrets", "deployments.apps", "v1/Secret", "apps/v1/Deployment", "Secret", "cm"],
      excludedResourceTypes: ["storageclasses.storage.k8s.io"],
      labelSelectors: ["app=web", "tier in (a,b),!legacy"],
      backupHookReferences: [{ name: "pre-backup.hooks", namespace: "app" }],
      includedVolumeTypes: ["AzureDisk", "AzureFileShareSMB"],
    };
    expect(parseBackupDatasourceParameters(input)).toEqual(input);
  });

  it("accepts Azure's backup instance parameters as they are", () => {
    const file = new URL("./fixtures/backup-instance-aks.json", import.meta.url);
    const instance = JSON.parse(readFileSync(file, "utf8")) as {
      properties: { policyInfo: { policyParameters: { backupDatasourceParametersList: unknown[] } } };
    };
    const [parameters] = instance.properties.policyInfo.policyParameters.backupDatasourceParametersList;
    expect(parseBackupDatasourceParameters(parameters)).toMatchObject({
      objectType: "KubernetesClusterBackupDatasourceParameters",
      includedNamespaces: ["test"],
      excludedResourceTypes: ["v1/Secret"],
      includedVolumeTypes: ["AzureDisk", "AzureFileShareSMB"],
      snapshotVolumes: true,
    });
  });
});

describe("parseBackupDatasourceParameters: faults", () => {
  const cases: Array<{ name: string; input: unknown; field: string; message: string }> = [
    { name: "not an object", input: "x", field: "datasourceParameters", message: "expected object" },
    { name: "null", input: null, field: "datasourceParameters", message: "expected object" },
    { name: "a wrong objectType", input: { objectType: "KubernetesClusterRestoreCriteria" }, field: "datasourceParameters.objectType", message: "KubernetesClusterBackupDatasourceParameters" },
    { name: "snapshotVolumes not boolean", input: { snapshotVolumes: "yes" }, field: "datasourceParameters.snapshotVolumes", message: "expected boolean" },
    { name: "includeClusterScopeResources not boolean", input: { includeClusterScopeResources: 1 }, field: "datasourceParameters.includeClusterScopeResources", message: "expected boolean" },
    { name: "an unknown field", input: { includeNamespaces: ["a"] }, field: "datasourceParameters.includeNamespaces", message: "unknown field" },
    { name: "includedNamespaces not an array", input: { includedNamespaces: "a" }, field: "datasourceParameters.includedNamespaces", message: "expected array" },
    { name: "a namespace that is not a string", input: { includedNamespaces: [1] }, field: "datasourceParameters.includedNamespaces[0]", message: "expected string" },
    { name: "an upper case namespace", input: { includedNamespaces: ["ok", "App"] }, field: "datasourceParameters.includedNamespaces[1]", message: `invalid namespace name: "App" must consist of lower case` },
    { name: "a namespace with a dot", input: { excludedNamespaces: ["a.b"] }, field: "datasourceParameters.excludedNamespaces[0]", message: "RFC 1123 label" },
    { name: "a namespace too long", input: { excludedNamespaces: ["n".repeat(64)] }, field: "datasourceParameters.excludedNamespaces[0]", message: "is longer than 63 characters" },
    { name: "an empty namespace", input: { includedNamespaces: [""] }, field: "datasourceParameters.includedNamespaces[0]", message: "must not be empty" },
    { name: "a namespace both included and excluded", input: { includedNamespaces: ["a", "b"], excludedNamespaces: ["c", "b"] }, field: "datasourceParameters.excludedNamespaces[1]", message: `namespace "b" is both included and excluded` },
    { name: "a system namespace included", input: { includedNamespaces: ["kube-system"] }, field: "datasourceParameters.includedNamespaces[0]", message: "system namespace" },
    { name: "an invalid label selector", input: { labelSelectors: ["app=web", "tier in ()"] }, field: "datasourceParameters.labelSelectors[1]", message: `invalid label selector "tier in ()": term "tier in ()": 'in' needs at least one value` },
    { name: "an empty label selector", input: { labelSelectors: [" "] }, field: "datasourceParameters.labelSelectors[0]", message: "would select every object" },
    { name: "a malformed resource type", input: { includedResourceTypes: ["apps/Deployment"] }, field: "datasourceParameters.includedResourceTypes[0]", message: `"apps/Deployment" is not a resource type` },
    { name: "a resource type both included and excluded", input: { includedResourceTypes: ["secrets"], excludedResourceTypes: ["secrets"] }, field: "datasourceParameters.excludedResourceTypes[0]", message: `resource type "secrets" is both included and excluded` },
    { name: "an unknown volume type", input: { includedVolumeTypes: ["AzureFileShareNFS"] }, field: "datasourceParameters.includedVolumeTypes[0]", message: `expected one of "AzureDisk"|"AzureFileShareSMB"` },
    { name: "a hook reference without a namespace", input: { backupHookReferences: [{ name: "h" }] }, field: "datasourceParameters.backupHookReferences[0].namespace", message: "is required" },
    { name: "a hook reference with an unknown field", input: { backupHookReferences: [{ name: "h", namespace: "n", kind: "BackupHook" }] }, field: "datasourceParameters.backupHookReferences[0].kind", message: "unknown field" },
    { name: "a hook reference with an invalid name", input: { backupHookReferences: [{ name: "Hook_1", namespace: "n" }] }, field: "datasourceParameters.backupHookReferences[0].name", message: "invalid object name" },
  ];
  for (const { name, input, field, message } of cases) {
    it(`reports ${name}`, () => {
      const faults = faultsOf(input);
      expect(faults).toHaveLength(1);
      expect(faults[0]!.field).toBe(field);
      expect(faults[0]!.message).toContain(message);
      try {
        parseBackupDatasourceParameters(input);
      } catch (error) {
        expect((error as Error).message).toBe(`${field}: ${faults[0]!.message}`);
        expect((error as { field?: string }).field).toBe(field);
      }
    });
  }

  it("lists every fault in one error, each with its path", () => {
    const input = {
      snapshotVolumes: "no",
      includedNamespaces: ["Bad", "ok"],
      excludedNamespaces: ["ok"],
      labelSelectors: ["a=b", "c in ()"],
      includedResourceTypes: ["v1/"],
      extra: true,
    };
    let message = "";
    try {
      parseBackupDatasourceParameters(input, "policyParameters.backupDatasourceParametersList[0]");
    } catch (error) {
      expect(isKBackupError(error, "InvalidArgument")).toBe(true);
      expect((error as { field?: string }).field).toBe("policyParameters.backupDatasourceParametersList[0]");
      message = (error as Error).message;
    }
    const prefix = "policyParameters.backupDatasourceParametersList[0]";
    expect(message).toContain(`${prefix} has 6 problems: `);
    for (const path of [".snapshotVolumes", ".includedNamespaces[0]", ".excludedNamespaces[0]", ".labelSelectors[1]", ".includedResourceTypes[0]", ".extra"]) {
      expect(message).toContain(`${prefix}${path}: `);
    }
  });
});
