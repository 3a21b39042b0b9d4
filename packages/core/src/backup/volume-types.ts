import type { KubeObject } from "../kube/types.js";

/** Azure's names of the volume types a backup can include. */
export type VolumeType = "AzureDisk" | "AzureFileShareSMB";

const DRIVER_VOLUME_TYPES: Record<string, VolumeType> = {
  "disk.csi.azure.com": "AzureDisk",
  "file.csi.azure.com": "AzureFileShareSMB",
};

/** The CSI driver of a PV (`spec.csi.driver`), or the in-tree plugin's name (`azureDisk`). */
export function volumeDriverOf(persistentVolume: KubeObject): string | undefined {
  const spec = persistentVolume.spec as Record<string, unknown> | undefined;
  const csi = spec?.csi as { driver?: unknown } | undefined;
  if (typeof csi?.driver === "string") return csi.driver;
  if (spec?.azureDisk) return "kubernetes.io/azure-disk";
  if (spec?.azureFile) return "kubernetes.io/azure-file";
  return undefined;
}

/** The Azure volume type of a PV, or undefined for volumes of other kinds. */
export function volumeTypeOf(persistentVolume: KubeObject): VolumeType | undefined {
  const driver = volumeDriverOf(persistentVolume);
  if (driver === undefined) return undefined;
  if (driver === "kubernetes.io/azure-disk") return "AzureDisk";
  if (driver === "kubernetes.io/azure-file") return "AzureFileShareSMB";
  return DRIVER_VOLUME_TYPES[driver];
}

/** The PVC a PV is bound to, from `spec.claimRef`. */
export function claimOf(persistentVolume: KubeObject): { namespace: string; name: string } | undefined {
  const claimRef = (persistentVolume.spec as { claimRef?: { namespace?: unknown; name?: unknown } } | undefined)?.claimRef;
  return typeof claimRef?.namespace === "string" && typeof claimRef.name === "string"
    ? { namespace: claimRef.namespace, name: claimRef.name }
    : undefined;
}
