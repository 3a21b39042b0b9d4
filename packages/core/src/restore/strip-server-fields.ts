import type { KubeObject } from "../kube/types.js";

const SERVER_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields", "ownerReferences"];

// Written by the PV controller and provisioners while binding; a restored claim binds anew.
const BIND_ANNOTATIONS = [
  "pv.kubernetes.io/bind-completed",
  "pv.kubernetes.io/bound-by-controller",
  "pv.kubernetes.io/provisioned-by",
  "volume.beta.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/selected-node",
];

/**
 * A copy of a backed-up object without what the source server owned: identity and bookkeeping
 * metadata, status, binding annotations of claims and volumes, and the cluster IPs of services
 * (the target allocates its own, except for headless services).
 */
export function stripServerFields(object: KubeObject, groupResource: string): KubeObject {
  const copy = structuredClone(object);
  for (const field of SERVER_METADATA) delete copy.metadata[field];
  delete copy.status;
  const annotations = copy.metadata.annotations;
  if (annotations) {
    delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
    if (groupResource === "persistentvolumeclaims" || groupResource === "persistentvolumes") {
      for (const key of BIND_ANNOTATIONS) delete annotations[key];
    }
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  }
  const spec = copy.spec as Record<string, unknown> | undefined;
  if (groupResource === "services" && spec) {
    if (spec.clusterIP !== "None") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    delete spec.healthCheckNodePort;
  }
  if (groupResource === "persistentvolumes" && spec?.claimRef && typeof spec.claimRef === "object") {
    const claimRef = spec.claimRef as Record<string, unknown>;
    delete claimRef.uid;
    delete claimRef.resourceVersion;
  }
  if (groupResource === "pods" && spec) delete spec.nodeName;
  return copy;
}
