import type { KubeObject } from "../kube/types.js";
import { isJsonObject, jsonEqual } from "../patch/json-value.js";

// Fields the API server refuses to change once set (or that only the server may change).
// A Patch restore leaves them as the live object has them.
const IMMUTABLE_FIELDS: Record<string, readonly string[]> = {
  services: ["spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies", "spec.healthCheckNodePort"],
  persistentvolumeclaims: ["spec.accessModes", "spec.storageClassName", "spec.volumeName", "spec.volumeMode", "spec.selector", "spec.dataSource", "spec.dataSourceRef"],
  persistentvolumes: ["spec"],
  pods: ["spec"],
  "deployments.apps": ["spec.selector"],
  "replicasets.apps": ["spec.selector"],
  "daemonsets.apps": ["spec.selector"],
  "statefulsets.apps": ["spec.selector", "spec.volumeClaimTemplates", "spec.serviceName", "spec.podManagementPolicy"],
  "jobs.batch": ["spec.selector", "spec.template", "spec.completionMode"],
  "storageclasses.storage.k8s.io": ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"],
  secrets: ["type"],
  "priorityclasses.scheduling.k8s.io": ["value", "preemptionPolicy"],
  "ingressclasses.networking.k8s.io": ["spec.controller"],
  "rolebindings.rbac.authorization.k8s.io": ["roleRef"],
  "clusterrolebindings.rbac.authorization.k8s.io": ["roleRef"],
  namespaces: ["spec"],
};

const NEVER_PATCHED_TOP_LEVEL = new Set(["apiVersion", "kind", "metadata", "status"]);

/**
 * The merge patch that makes `live` carry the backed-up values of `desired`, or `undefined` when
 * nothing differs. Nothing is ever removed: keys that only the live object has stay, so labels,
 * annotations and fields added in the target survive. Immutable fields are left out.
 */
export function restorePatch(live: KubeObject, desired: KubeObject, groupResource: string): Record<string, unknown> | undefined {
  const skipped = new Set(IMMUTABLE_FIELDS[groupResource] ?? []);
  if (live.immutable === true && (groupResource === "secrets" || groupResource === "configmaps")) {
    for (const field of ["data", "stringData", "binaryData", "immutable"]) skipped.add(field);
  }
  const patch: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {};
  for (const field of ["labels", "annotations"] as const) {
    const difference = additiveDifference(live.metadata[field], desired.metadata[field], "", skipped);
    if (difference !== undefined) metadata[field] = difference;
  }
  if (Object.keys(metadata).length > 0) patch.metadata = metadata;
  for (const [key, value] of Object.entries(desired)) {
    if (NEVER_PATCHED_TOP_LEVEL.has(key) || skipped.has(key)) continue;
    const difference = additiveDifference(live[key], value, key, skipped);
    if (difference !== undefined) patch[key] = difference;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** What must be merged into `live` so it holds every value of `desired`; undefined when it does. */
function additiveDifference(live: unknown, desired: unknown, path: string, skipped: ReadonlySet<string>): unknown {
  if (desired === undefined) return undefined;
  if (isJsonObject(live) && isJsonObject(desired)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(desired)) {
      const childPath = path ? `${path}.${key}` : key;
      if (skipped.has(childPath)) continue;
      const difference = additiveDifference(live[key], value, childPath, skipped);
      if (difference !== undefined) out[key] = difference;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  // Lists and scalars are replaced whole by a merge patch; send them only when they differ.
  return jsonEqual(live, desired) ? undefined : desired;
}
