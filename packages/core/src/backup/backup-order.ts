import { groupResourceOf, type ApiResource } from "../kube/types.js";

/**
 * Types never backed up: they are owned by the cluster itself or by the moment (events), and a
 * restore could not create them meaningfully.
 */
export const NEVER_BACKED_UP = new Set([
  "events",
  "events.events.k8s.io",
  "nodes",
  "componentstatuses",
  "bindings",
  "tokenreviews.authentication.k8s.io",
  "localsubjectaccessreviews.authorization.k8s.io",
  "selfsubjectaccessreviews.authorization.k8s.io",
  "selfsubjectrulesreviews.authorization.k8s.io",
  "subjectaccessreviews.authorization.k8s.io",
  "leases.coordination.k8s.io",
  "volumeattachments.storage.k8s.io",
  "csinodes.storage.k8s.io",
]);

/** A type the backup lists: it can be listed and created, and is not in {@link NEVER_BACKED_UP}. */
export function isBackedUpResourceType(resource: ApiResource): boolean {
  return resource.verbs.includes("list") && resource.verbs.includes("create") && !NEVER_BACKED_UP.has(groupResourceOf(resource));
}

// Listed last, in this order, because what they must include depends on the items before them:
// PVs of the claims, CRDs of the custom resources, namespaces of everything.
export const DEPENDENT_TYPES: readonly string[] = ["persistentvolumes", "customresourcedefinitions.apiextensions.k8s.io", "namespaces"];

/** The order in which a backup lists types: namespaced ones, then cluster-scoped ones, then the dependent ones. */
export function backupOrder(resources: ApiResource[]): ApiResource[] {
  const rank = (resource: ApiResource) => {
    const dependent = DEPENDENT_TYPES.indexOf(groupResourceOf(resource));
    return dependent >= 0 ? 2 + dependent : resource.namespaced ? 0 : 1;
  };
  return [...resources].sort((a, b) => rank(a) - rank(b) || groupResourceOf(a).localeCompare(groupResourceOf(b)));
}
