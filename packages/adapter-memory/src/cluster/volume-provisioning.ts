import { randomUUID } from "node:crypto";
import type { ClusterIdentity, KubeObject } from "@kbackup/core";
import { isPlainObject, jsonCopy } from "./json-copy.js";
import { bytesToQuantity, quantityToBytes } from "./quantity.js";

/** The CSI driver and volume handle of a PV, or `undefined` for a PV without a CSI source. */
export function csiSource(volume: KubeObject): { driver: string; volumeHandle: string } | undefined {
  const spec = volume["spec"];
  const csi = isPlainObject(spec) ? spec["csi"] : undefined;
  if (!isPlainObject(csi) || typeof csi["driver"] !== "string" || typeof csi["volumeHandle"] !== "string") return undefined;
  return { driver: csi["driver"], volumeHandle: csi["volumeHandle"] };
}

/** The PV's `spec.capacity.storage` in bytes, or `undefined`. */
export function capacityInBytes(volume: KubeObject): number | undefined {
  const spec = volume["spec"];
  return isPlainObject(spec) && isPlainObject(spec["capacity"]) ? quantityToBytes(spec["capacity"]["storage"]) : undefined;
}

/** The claim's `spec.resources.requests.storage` in bytes, or `undefined`. */
export function requestedBytes(claim: KubeObject): number | undefined {
  const spec = claim["spec"];
  const resources = isPlainObject(spec) ? spec["resources"] : undefined;
  return isPlainObject(resources) && isPlainObject(resources["requests"]) ? quantityToBytes(resources["requests"]["storage"]) : undefined;
}

/** True when the claim's status says it is bound. */
export function isBound(claim: KubeObject): boolean {
  return isPlainObject(claim["status"]) && claim["status"]["phase"] === "Bound";
}

/** True when `volume` is free for `claim`: not being deleted, and claimed by nobody or by that claim already. */
export function canBind(volume: KubeObject, claim: KubeObject): boolean {
  if (volume.metadata.deletionTimestamp !== undefined || !isPlainObject(volume["spec"])) return false;
  const claimRef = volume["spec"]["claimRef"];
  if (claimRef === undefined || claimRef === null) return true;
  if (!isPlainObject(claimRef)) return false;
  return (
    claimRef["namespace"] === claim.metadata.namespace &&
    claimRef["name"] === claim.metadata.name &&
    (claimRef["uid"] === undefined || claimRef["uid"] === claim.metadata.uid)
  );
}

/**
 * The PV a CSI external provisioner makes for a claim: named `pvc-<claim uid>`, with the class's
 * reclaim policy, parameters (as volume attributes) and mount options, and a volume handle the way
 * the Azure drivers write them (a disk's ARM id; `<resource group>#<account>#<share>###<namespace>`
 * for a file share), in the cluster's subscription and resource group.
 */
export function provisionedVolume(claim: KubeObject, storageClass: KubeObject, driver: string, sizeInBytes: number, identity: ClusterIdentity, now: string): KubeObject {
  const claimSpec = isPlainObject(claim["spec"]) ? claim["spec"] : {};
  const name = `pvc-${claim.metadata.uid}`;
  const namespace = claim.metadata.namespace as string;
  const resourceGroup = identity.resourceGroup ?? `mc_${identity.name}`;
  const subscription = identity.subscriptionId ?? "00000000-0000-0000-0000-000000000000";
  const isDisk = driver === "disk.csi.azure.com";
  const volumeHandle = isDisk ? `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/disks/${name}` : `${resourceGroup}#memoryfiles#${name}###${namespace}`;
  const parameters = isPlainObject(storageClass["parameters"]) ? storageClass["parameters"] : {};
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: now,
      generation: 1,
      annotations: { "pv.kubernetes.io/provisioned-by": driver },
      finalizers: ["kubernetes.io/pv-protection"],
    },
    spec: {
      accessModes: jsonCopy(claimSpec["accessModes"] ?? ["ReadWriteOnce"]),
      capacity: { storage: bytesToQuantity(sizeInBytes) },
      csi: {
        driver,
        volumeHandle,
        ...(isDisk ? { fsType: "ext4" } : {}),
        volumeAttributes: {
          ...jsonCopy(parameters),
          "csi.storage.k8s.io/pv/name": name,
          "csi.storage.k8s.io/pvc/name": claim.metadata.name,
          "csi.storage.k8s.io/pvc/namespace": namespace,
        },
      },
      persistentVolumeReclaimPolicy: typeof storageClass["reclaimPolicy"] === "string" ? storageClass["reclaimPolicy"] : "Delete",
      storageClassName: storageClass.metadata.name,
      volumeMode: typeof claimSpec["volumeMode"] === "string" ? claimSpec["volumeMode"] : "Filesystem",
      ...(Array.isArray(storageClass["mountOptions"]) ? { mountOptions: jsonCopy(storageClass["mountOptions"]) } : {}),
    },
    status: { phase: "Available" },
  };
}

/** New versions of a claim and a volume bound to each other, both in phase Bound. */
export function boundPair(claim: KubeObject, volume: KubeObject): { claim: KubeObject; volume: KubeObject } {
  const volumeSpec = isPlainObject(volume["spec"]) ? volume["spec"] : {};
  const claimRef = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    namespace: claim.metadata.namespace,
    name: claim.metadata.name,
    uid: claim.metadata.uid,
    resourceVersion: claim.metadata.resourceVersion,
  };
  return {
    volume: { ...volume, metadata: { ...volume.metadata }, spec: { ...volumeSpec, claimRef }, status: { phase: "Bound" } },
    claim: {
      ...claim,
      metadata: { ...claim.metadata, annotations: { ...claim.metadata.annotations, "pv.kubernetes.io/bind-completed": "yes" } },
      spec: { ...(isPlainObject(claim["spec"]) ? claim["spec"] : {}), volumeName: volume.metadata.name },
      status: { phase: "Bound", accessModes: jsonCopy(volumeSpec["accessModes"]), capacity: jsonCopy(volumeSpec["capacity"]) },
    },
  };
}
