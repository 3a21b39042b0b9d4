import { isKBackupError } from "../errors.js";
import { groupResourceOf, type ApiResource } from "../kube/types.js";
import type { ClusterClient, ClusterIdentity } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import type { RestoreItemResult } from "../restore/restore-result.js";
import { compileSelection, type RestoreCriteria, type Selection } from "../selection/index.js";
import type { VaultDataStore } from "../vault/catalogue-records.js";
import type { FeatureSettings } from "../vault/vault-settings.js";
import type { RegionPair } from "../vault-tier/region-pairs.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { checkRecoveryPointNamespaces } from "./check-namespaces.js";
import { checkPermissions } from "./check-permissions.js";
import { checkHookReferences, checkModifierReference } from "./check-references.js";
import { errorsFirst, preflightErrors, preflightFinding, type PreflightFinding } from "./findings.js";
import { probeCluster } from "./probe-cluster.js";
import { restoreAccessNeeds } from "./restore-access.js";
import { checkRestoreLocation } from "./restore-location.js";

/** What a restore works with. */
export interface RestorePreflightInput {
  /** The protected cluster, as the backup instance recorded it. */
  source: ClusterIdentity;
  /** The cluster restored to; `undefined` when none is bound. */
  target: ClusterClient | undefined;
  /** The target's name, for findings when no client is bound. */
  targetName: string;
  targetSnapshotProvider?: SnapshotProvider;
  criteria: RestoreCriteria;
  /** The copy the restore reads. */
  dataStore: VaultDataStore;
  features: FeatureSettings;
  /** Region pairs known besides `AZURE_REGION_PAIRS`, both ways. */
  regionPairs?: readonly RegionPair[];
  /** Why the recovery point cannot be restored, when the catalogue already tells (soft-deleted, unknown). */
  recoveryPointProblem?: string;
  /** Reads the manifest of the copy restored: NotFound when there is none, the store's errors otherwise. */
  readManifest: () => Promise<RecoveryPointManifest>;
  /** Plans the restore, writing nothing, to count the items that exist already; omitted: not counted. */
  plan?: () => Promise<readonly RestoreItemResult[]>;
}

/**
 * Every check of a restore before it runs, writing nothing: the recovery point can be read; the
 * target cluster answers; region, subscription and staging rules; the criteria select types and
 * namespaces the recovery point holds; the target allows `get` and `create` (and `patch` with
 * conflictPolicy Patch) on everything the restore would write, and reading the hooks and modifier
 * rules and exec for restore hooks; the referenced restore hooks and modifier rules exist and parse;
 * a snapshot provider is given when volumes are restored from snapshots; and, when `plan` is given
 * and nothing above is an Error, how many items exist already (a `RestoreConflicts` Warning).
 * Returns every finding, Errors first; never throws but for an abort.
 */
export async function restorePreflight(input: RestorePreflightInput, options: OperationOptions = {}): Promise<PreflightFinding[]> {
  const { target, criteria } = input;
  const findings: PreflightFinding[] = [];
  const store = input.dataStore === "VaultStore" ? "vaultStore" : "operationalStore";
  if (input.recoveryPointProblem) findings.push(preflightFinding("RecoveryPointUnavailable", "recoveryPointId", input.recoveryPointProblem));
  if (target) {
    findings.push(...checkRestoreLocation({ source: input.source, target: target.identity, dataStore: input.dataStore, features: input.features, criteria, ...(input.regionPairs ? { regionPairs: input.regionPairs } : {}) }));
  }
  let manifest: RecoveryPointManifest | undefined;
  if (!input.recoveryPointProblem) {
    try {
      manifest = await input.readManifest();
    } catch (error) {
      rethrowAbort(error);
      findings.push(
        isKBackupError(error, "NotFound") || isKBackupError(error, "Integrity")
          ? preflightFinding("RecoveryPointUnavailable", "recoveryPointId", messageOf(error))
          : preflightFinding("StoreUnreachable", store, `Reading the recovery point failed: ${messageOf(error)}`),
      );
    }
  }
  if (!target) {
    findings.push(preflightFinding("ClusterUnreachable", `targetCluster ${input.targetName}`, `No cluster client is bound to ${input.targetName}.`, { remedy: "Pass targetCluster, or give the vault a cluster client for the protected cluster." }));
    return errorsFirst(findings);
  }
  const probe = await probeCluster(target, "targetCluster", options);
  findings.push(...probe.findings);
  if (manifest) {
    const selection = selectionFor(manifest, criteria, probe.discovered ?? [], findings);
    if (selection) {
      findings.push(...checkRecoveryPointNamespaces(manifest, criteria.includedNamespaces ?? []));
      if (probe.discovered) findings.push(...(await checkPermissions(target, restoreAccessNeeds(manifest, criteria, selection), options)));
      findings.push(...checkSnapshotProvider(manifest, criteria, selection, input.targetSnapshotProvider));
    }
  }
  if (probe.discovered) {
    findings.push(...(await checkHookReferences(target, criteria.restoreHookReferences ?? [], "RestoreHook", options)));
    if (criteria.resourceModifierReference) findings.push(...(await checkModifierReference(target, criteria.resourceModifierReference, options)));
  }
  if (input.plan && manifest && preflightErrors(findings).length === 0) findings.push(...(await conflicts(input.plan, target.identity.name)));
  return errorsFirst(findings);
}

/** The criteria compiled as the restore compiles them (the target's types and the backup's); a `SelectionInvalid` finding when they do not. */
function selectionFor(manifest: RecoveryPointManifest, criteria: RestoreCriteria, targetTypes: readonly ApiResource[], findings: PreflightFinding[]): Selection | undefined {
  const known = new Map<string, ApiResource>(targetTypes.map((type) => [groupResourceOf(type), type]));
  for (const type of manifest.resourceTypes) known.set(groupResourceOf(type), { ...type, verbs: ["list", "get", "create"] });
  try {
    return compileSelection(criteria, [...known.values()], { field: "restoreCriteria" });
  } catch (error) {
    rethrowAbort(error);
    findings.push(preflightFinding("SelectionInvalid", "restoreCriteria", messageOf(error)));
    return undefined;
  }
}

/** `SnapshotProviderMissing` when restored claims have snapshots to make volumes from and no provider is given. */
function checkSnapshotProvider(manifest: RecoveryPointManifest, criteria: RestoreCriteria, selection: Selection, provider: SnapshotProvider | undefined): PreflightFinding[] {
  if (provider || (criteria.persistentVolumeRestoreMode ?? "RestoreWithVolumeData") !== "RestoreWithVolumeData") return [];
  const claims = manifest.resourceTypes.find((type) => groupResourceOf(type) === "persistentvolumeclaims");
  if (!claims || !selection.selectsResourceType(claims)) return [];
  const snapshotted = manifest.volumeSnapshots.filter((snapshot) => snapshot.claim !== undefined && selection.selectsNamespace(snapshot.claim.namespace));
  if (snapshotted.length === 0) return [];
  const names = snapshotted.map((snapshot) => `${snapshot.claim!.namespace}/${snapshot.claim!.name}`).join(", ");
  return [preflightFinding("SnapshotProviderMissing", "targetSnapshotProvider", `The claims ${names} are restored from volume snapshots, and no snapshot provider is given for the target cluster.`)];
}

/** A `RestoreConflicts` Warning counting the items the plan finds already in the target; none when the plan fails. */
async function conflicts(plan: () => Promise<readonly RestoreItemResult[]>, targetName: string): Promise<PreflightFinding[]> {
  let items: readonly RestoreItemResult[];
  try {
    items = await plan();
  } catch (error) {
    rethrowAbort(error);
    return [];
  }
  const existing = items.filter((item) => item.outcome === "Patched" || (item.outcome === "Skipped" && /already exists/i.test(item.reason ?? "")));
  if (existing.length === 0) return [];
  const patched = existing.filter((item) => item.outcome === "Patched").length;
  const skipped = existing.length - patched;
  // The patched ones first: they are the ones the restore changes.
  const ordered = [...existing.filter((item) => item.outcome === "Patched"), ...existing.filter((item) => item.outcome !== "Patched")];
  const examples = ordered.slice(0, 5).map((item) => `${item.resource}${item.group ? `.${item.group}` : ""}/${item.namespace ? `${item.namespace}/` : ""}${item.name}`);
  return [
    preflightFinding("RestoreConflicts", `targetCluster ${targetName}`, `${existing.length} item${existing.length === 1 ? " already exists" : "s already exist"} in the target: ${skipped} would be skipped and ${patched} patched (${examples.join(", ")}${existing.length > examples.length ? ", ..." : ""}).`),
  ];
}
