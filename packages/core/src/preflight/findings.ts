/** How bad a finding is: an `Error` makes the operation fail or do less than asked; a `Warning` is worth knowing. */
export type PreflightSeverity = "Error" | "Warning";

/** Every finding a preflight check can report (docs/preflight.md explains each). */
export const PREFLIGHT_FINDING_CODES = [
  "ClusterUnreachable",
  "PermissionMissing",
  "PermissionCheckUnavailable",
  "StoreUnreachable",
  "StoreNotWritable",
  "StoreRedundancyMismatch",
  "StoreImmutabilityMissing",
  "SnapshotProviderMissing",
  "SnapshotProviderUnavailable",
  "VolumeNotSnapshottable",
  "VolumeTypeNotIncluded",
  "VolumeTooLargeForVault",
  "HookReferenceMissing",
  "HookReferenceInvalid",
  "ModifierReferenceMissing",
  "ModifierReferenceInvalid",
  "NamespaceMissing",
  "SelectionInvalid",
  "RecoveryPointUnavailable",
  "RegionMismatch",
  "CrossRegionRestoreDisabled",
  "SubscriptionMismatch",
  "StagingLocationMissing",
  "RestoreConflicts",
] as const;

/** One of {@link PREFLIGHT_FINDING_CODES}. */
export type PreflightFindingCode = (typeof PREFLIGHT_FINDING_CODES)[number];

/** One thing a preflight check found, with what to do about it. */
export interface PreflightFinding {
  severity: PreflightSeverity;
  code: PreflightFindingCode;
  /** What the finding is about: `cluster aks-shop`, `operationalStore`, `deployments.apps`, `persistentvolumes/pv-db`, ... */
  target: string;
  /** What is wrong, naming the item. */
  message: string;
  /** What to do about it. */
  remedy: string;
}

/** The severity and the remedy of each code. */
export const PREFLIGHT_FINDING_RULES: Readonly<Record<PreflightFindingCode, { severity: PreflightSeverity; remedy: string }>> = Object.freeze({
  ClusterUnreachable: { severity: "Error", remedy: "Check the kubeconfig or cluster client: the API server address, the network path to it and that the credentials are valid." },
  PermissionMissing: { severity: "Error", remedy: "Grant the identity kbackup runs as these verbs on these resources (a ClusterRole bound to it, or Roles in the namespaces named), then validate again." },
  PermissionCheckUnavailable: { severity: "Warning", remedy: "Use a cluster client that implements checkAccess to have permissions checked in advance; otherwise missing permissions show as failed items of the job." },
  StoreUnreachable: { severity: "Error", remedy: "Check the store's endpoint, credentials and network access, and that its container or directory exists." },
  StoreNotWritable: { severity: "Error", remedy: "Give the identity kbackup runs as write and delete access to the store (for example the Storage Blob Data Contributor role), and make sure the store is not read-only." },
  StoreRedundancyMismatch: { severity: "Warning", remedy: "Use a store that keeps a readable copy in the paired region (geo-redundant with read access), or set the vault's VaultStore storage setting to the redundancy the store has." },
  StoreImmutabilityMissing: { severity: "Warning", remedy: "Use a store with immutability (an immutable blob container) so that no one with store access can delete copies; the vault still refuses such deletions itself." },
  SnapshotProviderMissing: { severity: "Error", remedy: "Pass a snapshot provider for the target cluster (targetSnapshotProvider), or restore with persistentVolumeRestoreMode RestoreWithoutVolumeData." },
  SnapshotProviderUnavailable: { severity: "Error", remedy: "Check the snapshot provider's credentials and its access to the disks and the snapshot resource group." },
  VolumeNotSnapshottable: { severity: "Warning", remedy: "Move the volume to a CSI driver the snapshot provider supports (Azure Disk), or accept that it is backed up without its data." },
  VolumeTypeNotIncluded: { severity: "Warning", remedy: "Add the volume's type to includedVolumeTypes to back up its data, or accept that it is backed up without it." },
  VolumeTooLargeForVault: { severity: "Warning", remedy: "Keep volumes of 1 TiB or less to have their recovery points copied to the vault store; larger ones stay in the operational store only." },
  HookReferenceMissing: { severity: "Error", remedy: "Create the hook resource (and its CRD) in the cluster, or remove it from the hook references." },
  HookReferenceInvalid: { severity: "Error", remedy: "Fix the hook resource so that it parses: names, namespaces, commands and timeouts as its CRD describes them." },
  ModifierReferenceMissing: { severity: "Error", remedy: "Create the ConfigMap with the resource modifier rules in the target cluster, or remove resourceModifierReference." },
  ModifierReferenceInvalid: { severity: "Error", remedy: "Fix the rules in the ConfigMap: one YAML file of resource modifier rules, version v1." },
  NamespaceMissing: { severity: "Error", remedy: "Create the namespace first, or remove it from includedNamespaces." },
  SelectionInvalid: { severity: "Error", remedy: "Name only resource types the cluster serves (or the recovery point holds), and valid label selectors." },
  RecoveryPointUnavailable: { severity: "Error", remedy: "Pick a committed recovery point that is not soft-deleted and has a copy in the data store asked for." },
  RegionMismatch: { severity: "Error", remedy: "Restore to a cluster in the source cluster's region, or, from the vault store, in its paired region with cross-region restore enabled." },
  CrossRegionRestoreDisabled: { severity: "Error", remedy: "Enable the vault's cross-region restore (featureSettings.crossRegionRestoreSettings; it needs a GeoRedundant vault store), or restore in the source's region." },
  SubscriptionMismatch: { severity: "Error", remedy: "Enable the vault's cross-subscription restore (featureSettings.crossSubscriptionRestoreSettings), or restore to a cluster in the source's subscription." },
  StagingLocationMissing: { severity: "Error", remedy: "Give stagingResourceGroupId and stagingStorageAccountId in the vault-tier restore criteria." },
  RestoreConflicts: { severity: "Warning", remedy: "Review the items that already exist in the target: with conflictPolicy Skip they keep their values; use Patch to update them, or restore into mapped namespaces." },
});

/**
 * A finding of `code`, with the code's severity and remedy unless `overrides` gives others (a
 * remedy that names the item).
 */
export function preflightFinding(code: PreflightFindingCode, target: string, message: string, overrides: { severity?: PreflightSeverity; remedy?: string } = {}): PreflightFinding {
  const rule = PREFLIGHT_FINDING_RULES[code];
  return { severity: overrides.severity ?? rule.severity, code, target, message, remedy: overrides.remedy ?? rule.remedy };
}

/** The findings of severity `Error`. */
export function preflightErrors(findings: readonly PreflightFinding[]): PreflightFinding[] {
  return findings.filter((finding) => finding.severity === "Error");
}

/** The findings, Errors before Warnings, each in the order found. */
export function errorsFirst(findings: readonly PreflightFinding[]): PreflightFinding[] {
  return [...preflightErrors(findings), ...findings.filter((finding) => finding.severity !== "Error")];
}
