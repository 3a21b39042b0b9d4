import type { ApiResource } from "@kbackup/core";

const verbs = ["get", "list", "create", "patch", "delete"];

function type(group: string, version: string, resource: string, kind: string, namespaced: boolean, shortNames?: string[]): ApiResource {
  return { group, version, resource, kind, namespaced, verbs, ...(shortNames ? { shortNames } : {}) };
}

/** A small discovery list: core and apps types, a cluster-scoped one, a name served by two groups, and two CRDs sharing a kind. */
export const discovery: ApiResource[] = [
  type("", "v1", "namespaces", "Namespace", false, ["ns"]),
  type("", "v1", "secrets", "Secret", true),
  type("", "v1", "configmaps", "ConfigMap", true, ["cm"]),
  type("", "v1", "events", "Event", true, ["ev"]),
  type("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]),
  type("", "v1", "persistentvolumes", "PersistentVolume", false, ["pv"]),
  type("apps", "v1", "deployments", "Deployment", true, ["deploy"]),
  type("apps", "v1", "statefulsets", "StatefulSet", true, ["sts"]),
  type("events.k8s.io", "v1", "events", "Event", true, ["ev"]),
  type("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"]),
  type("cert-manager.io", "v1", "certificates", "Certificate", true, ["cert"]),
  type("example.com", "v1alpha1", "certificates", "Certificate", true, ["cert"]),
];

/** The discovered type named `<resource>.<group>` (or `<resource>` for the core group). */
export function typeNamed(name: string): ApiResource {
  const found = discovery.find((resource) => (resource.group === "" ? resource.resource : `${resource.resource}.${resource.group}`) === name);
  if (!found) throw new Error(`no type ${name} in the test discovery`);
  return found;
}
