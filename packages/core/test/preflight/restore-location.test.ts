import { describe, expect, it } from "vitest";
import { checkRestoreLocation, defaultVaultSettings, pairedRegionOf, parseRestoreCriteria, type FeatureSettings, type RestoreLocation } from "@kbackup/core";
import { summary } from "./helpers.js";

const SOURCE = { name: "aks-prod", region: "westeurope", subscriptionId: "sub-a" };

function location(target: Partial<RestoreLocation["target"]>, changes: Partial<Omit<RestoreLocation, "features">> & { features?: Partial<FeatureSettings> } = {}): RestoreLocation {
  const { features, ...rest } = changes;
  return {
    source: SOURCE,
    target: { ...SOURCE, name: "aks-dr", ...target },
    dataStore: "OperationalStore",
    criteria: parseRestoreCriteria({}),
    ...rest,
    features: { ...defaultVaultSettings().featureSettings, ...features },
  };
}

const CRR = { crossRegionRestoreSettings: { state: "Enabled" as const } };

describe("checkRestoreLocation", () => {
  it("allows the source's region and subscription, and leaves unknown regions unjudged", () => {
    expect(checkRestoreLocation(location({}))).toEqual([]);
    expect(checkRestoreLocation(location({ region: "West Europe" }))).toEqual([]);
    expect(checkRestoreLocation(location({ region: undefined }))).toEqual([]);
  });

  it("keeps a restore from the operational store in the source's region, even with cross-region restore", () => {
    expect(summary(checkRestoreLocation(location({ region: "northeurope" }, { features: CRR })))).toEqual(["Error RegionMismatch targetCluster aks-dr"]);
  });

  it("allows a vault-store restore in the paired region only with cross-region restore enabled", () => {
    expect(summary(checkRestoreLocation(location({ region: "northeurope" }, { dataStore: "VaultStore" })))).toEqual(["Error CrossRegionRestoreDisabled targetCluster aks-dr"]);
    expect(checkRestoreLocation(location({ region: "northeurope" }, { dataStore: "VaultStore", features: CRR }))).toEqual([]);
    expect(checkRestoreLocation(location({ region: "westeurope" }, { dataStore: "VaultStore" }))).toEqual([]);
    const unpaired = checkRestoreLocation(location({ region: "eastus" }, { dataStore: "VaultStore", features: CRR }));
    expect(summary(unpaired)).toEqual(["Error RegionMismatch targetCluster aks-dr"]);
    expect(unpaired[0]!.message).toMatch(/neither the source's region westeurope nor its paired region northeurope/);
    expect(checkRestoreLocation(location({ region: "eastus" }, { dataStore: "VaultStore", features: CRR, regionPairs: [["eastus", "westeurope"]] }))).toEqual([]);
  });

  it("knows Azure's region pairs, one-way ones too", () => {
    expect(pairedRegionOf("westeurope")).toBe("northeurope");
    expect(pairedRegionOf("North Europe")).toBe("westeurope");
    expect(pairedRegionOf("brazilsouth")).toBe("southcentralus");
    expect(pairedRegionOf("southcentralus")).toBe("northcentralus");
    expect(pairedRegionOf("moon-1")).toBeUndefined();
  });

  it("needs cross-subscription restore for another subscription, and says when it can never be had", () => {
    expect(checkRestoreLocation(location({ subscriptionId: "sub-b" }))).toEqual([]);
    expect(summary(checkRestoreLocation(location({ subscriptionId: "sub-b" }, { features: { crossSubscriptionRestoreSettings: { state: "Disabled" } } })))).toEqual(["Error SubscriptionMismatch targetCluster aks-dr"]);
    const never = checkRestoreLocation(location({ subscriptionId: "sub-b" }, { features: { crossSubscriptionRestoreSettings: { state: "PermanentlyDisabled" } } }));
    expect(never[0]!.remedy).toMatch(/permanently disabled/);
  });

  it("needs both staging ids for vault-tier criteria", () => {
    const criteria = parseRestoreCriteria({ objectType: "KubernetesClusterVaultTierRestoreCriteria", stagingResourceGroupId: "/subscriptions/s/resourceGroups/rg" });
    expect(summary(checkRestoreLocation(location({}, { criteria, dataStore: "VaultStore" })))).toEqual(["Error StagingLocationMissing restoreCriteria.stagingStorageAccountId"]);
  });
});
