import type { KubeObject } from "../kube/types.js";

/** A pod's namespace and name, as hook records and the cluster's `exec` take them. */
export interface PodLocation {
  namespace: string;
  name: string;
}

/** The pod's namespace and name ("" for a missing one). */
export function podLocation(pod: KubeObject): PodLocation {
  return { namespace: pod.metadata.namespace ?? "", name: pod.metadata.name ?? "" };
}

/** `status.phase` of a pod (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`), or `undefined` when unset. */
export function podPhase(pod: KubeObject): string | undefined {
  const phase = record(pod.status)?.phase;
  return typeof phase === "string" ? phase : undefined;
}

/** The names of `spec.containers`, in order (init and ephemeral containers are not hook targets). */
export function podContainerNames(pod: KubeObject): string[] {
  const containers = record(pod.spec)?.containers;
  if (!Array.isArray(containers)) return [];
  return containers.map((container) => record(container)?.name).filter((name): name is string => typeof name === "string");
}

/** The names of the PersistentVolumeClaims the pod mounts (`spec.volumes[].persistentVolumeClaim.claimName`). */
export function podClaimNames(pod: KubeObject): string[] {
  const volumes = record(pod.spec)?.volumes;
  if (!Array.isArray(volumes)) return [];
  return volumes
    .map((volume) => record(record(volume)?.persistentVolumeClaim)?.claimName)
    .filter((name): name is string => typeof name === "string");
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
