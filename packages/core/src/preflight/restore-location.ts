import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { RestoreCriteria } from "../selection/index.js";
import type { VaultDataStore } from "../vault/catalogue-records.js";
import type { FeatureSettings } from "../vault/vault-settings.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";
import { isPairedRegion, pairedRegions, type RegionPair } from "../vault-tier/region-pairs.js";
import { normalRegion } from "./region-pairs.js";

/** Where a restore goes from and to, and under which vault features. */
export interface RestoreLocation {
  /** The protected cluster, as the backup instance recorded it. */
  source: ClusterIdentity;
  target: ClusterIdentity;
  /** The copy the restore reads. */
  dataStore: VaultDataStore;
  features: FeatureSettings;
  criteria: RestoreCriteria;
  /** Region pairs known besides `AZURE_REGION_PAIRS`, both ways (the restore's `regionPairs`). */
  regionPairs?: readonly RegionPair[];
}

/**
 * Azure's rules of where a restore may go, as findings:
 * - region: from the operational store, the target must be in the source's region; from the vault
 *   store, in the source's region or its paired region with cross-region restore enabled
 *   (`RegionMismatch`, `CrossRegionRestoreDisabled`);
 * - subscription: another subscription needs cross-subscription restore enabled (`SubscriptionMismatch`);
 * - staging: vault-tier criteria need `stagingResourceGroupId` and `stagingStorageAccountId`
 *   (`StagingLocationMissing`).
 * A region or subscription that either identity leaves out is not judged.
 */
export function checkRestoreLocation(location: RestoreLocation): PreflightFinding[] {
  const { source, target, dataStore, features, criteria, regionPairs } = location;
  const findings: PreflightFinding[] = [];
  const where = `targetCluster ${target.name}`;
  if (source.region && target.region && normalRegion(source.region) !== normalRegion(target.region)) {
    const paired = pairedRegions(source.region, regionPairs).join(" or ");
    if (dataStore === "OperationalStore") {
      findings.push(preflightFinding("RegionMismatch", where, `The target is in region ${target.region} and the source in ${source.region}: a restore from the operational store stays in the source's region.`, {
        remedy: `Restore to a cluster in ${source.region}, or restore the recovery point's vault-store copy (dataStore VaultStore) to the paired region${paired ? ` ${paired}` : ""} with cross-region restore enabled.`,
      }));
    } else if (!isPairedRegion(source.region, target.region, regionPairs)) {
      findings.push(preflightFinding("RegionMismatch", where, `The target is in region ${target.region}, which is neither the source's region ${source.region} nor its paired region${paired ? ` ${paired}` : " (none known)"}.`));
    } else if (features.crossRegionRestoreSettings.state !== "Enabled") {
      findings.push(preflightFinding("CrossRegionRestoreDisabled", where, `The target is in ${target.region}, the paired region of ${source.region}, and the vault's cross-region restore is ${features.crossRegionRestoreSettings.state}.`));
    }
  }
  const subscriptionState = features.crossSubscriptionRestoreSettings.state;
  if (source.subscriptionId && target.subscriptionId && source.subscriptionId !== target.subscriptionId && subscriptionState !== "Enabled") {
    findings.push(preflightFinding("SubscriptionMismatch", where, `The target is in subscription ${target.subscriptionId} and the source in ${source.subscriptionId}; the vault's cross-subscription restore is ${subscriptionState}.`, {
      ...(subscriptionState === "PermanentlyDisabled" ? { remedy: "Cross-subscription restore is permanently disabled for this vault: restore to a cluster in the source's subscription." } : {}),
    }));
  }
  if (criteria.objectType === "KubernetesClusterVaultTierRestoreCriteria") {
    for (const field of ["stagingResourceGroupId", "stagingStorageAccountId"] as const) {
      if (!criteria[field]) findings.push(preflightFinding("StagingLocationMissing", `restoreCriteria.${field}`, `A restore from the vault tier stages its data, and the criteria give no ${field}.`));
    }
  }
  return findings;
}
