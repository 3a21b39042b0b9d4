import { claimOf, volumeTypeOf } from "../backup/volume-types.js";
import { groupResourceOf, type ApiResource, type KubeObject } from "../kube/types.js";
import { VAULT_VOLUME_LIMIT_BYTES } from "../policy/index.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { AKS_VOLUME_TYPES, type KubernetesClusterBackupDatasourceParameters, type Selection } from "../selection/index.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";
import { volumeCapacityInBytes } from "./volume-capacity.js";

/** Options of {@link checkBackupVolumes}. */
export interface CheckBackupVolumesOptions extends OperationOptions {
  /** The instance's recovery points go to the vault store too: volumes over 1 TiB keep them out. */
  vaultTier: boolean;
}

/**
 * Finds the persistent volumes a backup would take (those of the selected claims, and selected
 * volumes without a claim) and says which would be backed up without their data, as Warnings:
 * a volume type not in `includedVolumeTypes` (`VolumeTypeNotIncluded`), no snapshot provider or
 * one whose `canSnapshot` refuses the volume (`VolumeNotSnapshottable`), and, for an instance that
 * uses the vault store, a volume over 1 TiB (`VolumeTooLargeForVault`). A provider that fails to
 * answer is a `SnapshotProviderUnavailable` Error. Nothing when `snapshotVolumes` is false; lists
 * the cluster refuses are left to the other checks. Never throws but for an abort.
 */
export async function checkBackupVolumes(
  cluster: ClusterClient,
  discovered: readonly ApiResource[],
  selection: Selection,
  parameters: KubernetesClusterBackupDatasourceParameters,
  provider: SnapshotProvider | undefined,
  options: CheckBackupVolumesOptions,
): Promise<PreflightFinding[]> {
  if (!parameters.snapshotVolumes) return [];
  const { abortSignal } = options;
  const volumes = await volumesToBackUp(cluster, discovered, selection, abortSignal);
  const findings: PreflightFinding[] = [];
  const included: readonly string[] = parameters.includedVolumeTypes ?? AKS_VOLUME_TYPES;
  for (const volume of volumes) {
    const name = volume.metadata.name ?? "";
    const target = `persistentvolumes/${name}`;
    const size = volumeCapacityInBytes(volume);
    if (options.vaultTier && size !== undefined && size > VAULT_VOLUME_LIMIT_BYTES) {
      findings.push(preflightFinding("VolumeTooLargeForVault", target, `The volume holds ${size} bytes, over the vault store's limit of ${VAULT_VOLUME_LIMIT_BYTES}: its recovery points stay in the operational store only.`));
    }
    const type = volumeTypeOf(volume);
    if (type && !included.includes(type)) {
      findings.push(preflightFinding("VolumeTypeNotIncluded", target, `Its volume type ${type} is not in includedVolumeTypes: it is backed up without its data.`));
      continue;
    }
    if (!provider) {
      findings.push(preflightFinding("VolumeNotSnapshottable", target, "No snapshot provider is configured: the volume is backed up without its data.", { remedy: "Protect the cluster with a snapshot provider (snapshotProvider), or set snapshotVolumes to false." }));
      continue;
    }
    try {
      const support = await provider.canSnapshot(volume, { ...(abortSignal ? { abortSignal } : {}) });
      if (!support.supported) findings.push(preflightFinding("VolumeNotSnapshottable", target, `The snapshot provider ${provider.name} cannot snapshot it (${support.reason}): it is backed up without its data.`));
    } catch (error) {
      rethrowAbort(error);
      findings.push(preflightFinding("SnapshotProviderUnavailable", `snapshotProvider ${provider.name}`, `Asking whether it can snapshot ${name} failed: ${messageOf(error)}`));
      break;
    }
  }
  return findings;
}

/** The volumes a backup takes: those bound to selected claims, and selected volumes without a claim. */
async function volumesToBackUp(cluster: ClusterClient, discovered: readonly ApiResource[], selection: Selection, abortSignal: AbortSignal | undefined): Promise<KubeObject[]> {
  const claimType = discovered.find((type) => groupResourceOf(type) === "persistentvolumeclaims");
  const volumeType = discovered.find((type) => groupResourceOf(type) === "persistentvolumes");
  if (!volumeType) return [];
  const signal = abortSignal ? { abortSignal } : {};
  try {
    const claimed = new Set<string>();
    if (claimType && selection.selectsResourceType(claimType)) {
      const labelSelector = selection.listLabelSelector(claimType);
      for await (const claim of cluster.list(claimType, { ...signal, ...(labelSelector ? { labelSelector } : {}) })) {
        if (!selection.selectsObject(claimType, claim)) continue;
        const volumeName = (claim.spec as { volumeName?: unknown } | undefined)?.volumeName;
        if (typeof volumeName === "string" && volumeName) claimed.add(volumeName);
      }
    }
    const volumes: KubeObject[] = [];
    for await (const volume of cluster.list(volumeType, signal)) {
      const name = volume.metadata.name ?? "";
      if (claimed.has(name) || (claimOf(volume) === undefined && selection.selectsObject(volumeType, volume))) volumes.push(volume);
    }
    return volumes;
  } catch (error) {
    rethrowAbort(error);
    return [];
  }
}
