import { describe, expect, it } from "vitest";
import { isKBackupError, parseRestoreCriteria, type Fault } from "@kbackup/core";

function faultsOf(input: unknown): Fault[] {
  try {
    parseRestoreCriteria(input);
  } catch (error) {
    if (!isKBackupError(error, "InvalidArgument")) throw error;
    return error.details?.faults as Fault[];
  }
  throw new Error("expected an error");
}

const storageAccount = "/subscriptions/0000/resourceGroups/staging/providers/Microsoft.Storage/storageAccounts/kbackupstaging";

describe("parseRestoreCriteria: defaults", () => {
  it("fills objectType, includeClusterScopeResources, persistentVolumeRestoreMode and conflictPolicy", () => {
    expect(parseRestoreCriteria({})).toEqual({
      objectType: "KubernetesClusterRestoreCriteria",
      includeClusterScopeResources: true,
      persistentVolumeRestoreMode: "RestoreWithVolumeData",
      conflictPolicy: "Skip",
    });
  });

  it("keeps what is given", () => {
    const input = {
      objectType: "KubernetesClusterRestoreCriteria",
      includeClusterScopeResources: false,
      includedNamespaces: ["app"],
      excludedNamespaces: ["scratch"],
      includedResourceTypes: ["deployments.apps"],
      excludedResourceTypes: ["v1/Secret"],
      labelSelectors: ["app=web"],
      persistentVolumeRestoreMode: "RestoreWithoutVolumeData",
      conflictPolicy: "Patch",
      namespaceMappings: { app: "app-restored", other: "other-restored" },
      restoreHookReferences: [{ name: "after-restore", namespace: "app" }],
      resourceModifierReference: { name: "modifiers", namespace: "kbackup" },
    };
    expect(parseRestoreCriteria(input)).toEqual(input);
  });

  it("reads the vault tier's criteria by objectType, with defaults", () => {
    expect(
      parseRestoreCriteria({
        objectType: "KubernetesClusterVaultTierRestoreCriteria",
        stagingResourceGroupId: "/subscriptions/0000/resourceGroups/staging",
        stagingStorageAccountId: storageAccount,
      }),
    ).toEqual({
      objectType: "KubernetesClusterVaultTierRestoreCriteria",
      includeClusterScopeResources: true,
      persistentVolumeRestoreMode: "RestoreWithVolumeData",
      conflictPolicy: "Skip",
      stagingResourceGroupId: "/subscriptions/0000/resourceGroups/staging",
      stagingStorageAccountId: storageAccount,
    });
  });
});

describe("parseRestoreCriteria: faults", () => {
  const cases: Array<{ name: string; input: unknown; field: string; message: string }> = [
    { name: "an unknown objectType", input: { objectType: "ItemLevelRestoreCriteria" }, field: "restoreCriteria.objectType", message: `must be "KubernetesClusterRestoreCriteria" or "KubernetesClusterVaultTierRestoreCriteria"` },
    { name: "an unknown persistentVolumeRestoreMode", input: { persistentVolumeRestoreMode: "RestoreWithData" }, field: "restoreCriteria.persistentVolumeRestoreMode", message: "expected one of" },
    { name: "an unknown conflictPolicy", input: { conflictPolicy: "Overwrite" }, field: "restoreCriteria.conflictPolicy", message: `"Skip"|"Patch"` },
    { name: "staging fields on the operational tier", input: { stagingResourceGroupId: "/subscriptions/0/resourceGroups/x" }, field: "restoreCriteria.stagingResourceGroupId", message: "unknown field" },
    { name: "an unknown field", input: { backupHookReferences: [] }, field: "restoreCriteria.backupHookReferences", message: "unknown field" },
    { name: "a mapping to an invalid namespace", input: { namespaceMappings: { app: "App_2" } }, field: "restoreCriteria.namespaceMappings.app", message: "invalid namespace name" },
    { name: "a mapping from an invalid namespace", input: { namespaceMappings: { "not valid": "app" } }, field: "restoreCriteria.namespaceMappings.not valid", message: "invalid namespace name" },
    { name: "a mapping to a non-string", input: { namespaceMappings: { app: 1 } }, field: "restoreCriteria.namespaceMappings.app", message: "expected string" },
    { name: "two namespaces mapped to one target", input: { namespaceMappings: { a: "t", b: "u", c: "t" } }, field: "restoreCriteria.namespaceMappings.c", message: `maps to "t", as "a" does already` },
    { name: "a mapping into a system namespace", input: { namespaceMappings: { a: "kube-system" } }, field: "restoreCriteria.namespaceMappings.a", message: `system namespace "kube-system"` },
    { name: "a namespace both included and excluded", input: { includedNamespaces: ["a"], excludedNamespaces: ["a"] }, field: "restoreCriteria.excludedNamespaces[0]", message: "both included and excluded" },
    { name: "an invalid label selector", input: { labelSelectors: ["a>1"] }, field: "restoreCriteria.labelSelectors[0]", message: "operator '>' is not supported" },
    { name: "a malformed resource type", input: { excludedResourceTypes: ["Secret/v1"] }, field: "restoreCriteria.excludedResourceTypes[0]", message: "is not a resource type" },
    { name: "a modifier reference without a name", input: { resourceModifierReference: { namespace: "x" } }, field: "restoreCriteria.resourceModifierReference.name", message: "is required" },
    { name: "an invalid restore hook namespace", input: { restoreHookReferences: [{ name: "h", namespace: "N" }] }, field: "restoreCriteria.restoreHookReferences[0].namespace", message: "invalid namespace name" },
    { name: "a bad staging resource group id", input: { objectType: "KubernetesClusterVaultTierRestoreCriteria", stagingResourceGroupId: "staging" }, field: "restoreCriteria.stagingResourceGroupId", message: "must be a resource group id" },
    { name: "a bad staging storage account id", input: { objectType: "KubernetesClusterVaultTierRestoreCriteria", stagingStorageAccountId: "/subscriptions/0/resourceGroups/x" }, field: "restoreCriteria.stagingStorageAccountId", message: "must be a storage account id" },
    { name: "the vault tier's mapping faults", input: { objectType: "KubernetesClusterVaultTierRestoreCriteria", namespaceMappings: { a: "t", b: "t" } }, field: "restoreCriteria.namespaceMappings.b", message: "as \"a\" does already" },
  ];
  for (const { name, input, field, message } of cases) {
    it(`reports ${name}`, () => {
      const faults = faultsOf(input);
      expect(faults).toHaveLength(1);
      expect(faults[0]!.field).toBe(field);
      expect(faults[0]!.message).toContain(message);
    });
  }

  it("lists every fault in one error under the field given", () => {
    try {
      parseRestoreCriteria({ conflictPolicy: "Replace", namespaceMappings: { a: "t", b: "t" }, labelSelectors: ["x in (y"] }, "request.restoreTargetInfo.restoreCriteria[0]");
      expect.unreachable();
    } catch (error) {
      expect(isKBackupError(error, "InvalidArgument")).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain("request.restoreTargetInfo.restoreCriteria[0] has 3 problems");
      expect(message).toContain("restoreCriteria[0].conflictPolicy: ");
      expect(message).toContain("restoreCriteria[0].namespaceMappings.b: ");
      expect(message).toContain(`restoreCriteria[0].labelSelectors[0]: invalid label selector "x in (y": term "x in (y": missing ')'`);
    }
  });
});
