/**
 * The order in which a restore creates types (Velero's default priorities): what others depend
 * on first. Types not named here follow, in alphabetical order of their group-resource.
 */
export const RESTORE_PRIORITIES: readonly string[] = [
  "customresourcedefinitions.apiextensions.k8s.io",
  "namespaces",
  "storageclasses.storage.k8s.io",
  "volumesnapshotclasses.snapshot.storage.k8s.io",
  "volumesnapshotcontents.snapshot.storage.k8s.io",
  "volumesnapshots.snapshot.storage.k8s.io",
  "persistentvolumes",
  "persistentvolumeclaims",
  "clusterroles.rbac.authorization.k8s.io",
  "roles.rbac.authorization.k8s.io",
  "serviceaccounts",
  "clusterrolebindings.rbac.authorization.k8s.io",
  "rolebindings.rbac.authorization.k8s.io",
  "secrets",
  "configmaps",
  "limitranges",
  "priorityclasses.scheduling.k8s.io",
  "pods",
  "replicasets.apps",
  "endpoints",
  "services",
];

/** Types a restore never creates, and why. */
export const NEVER_RESTORED: ReadonlyMap<string, string> = new Map([
  ["nodes", "nodes belong to the target cluster"],
  ["events", "events describe the source cluster's past"],
  ["events.events.k8s.io", "events describe the source cluster's past"],
  ["csinodes.storage.k8s.io", "CSI nodes belong to the target cluster"],
  ["volumeattachments.storage.k8s.io", "volume attachments belong to the target cluster"],
]);

/** Sorts group-resources into restore order. */
export function restoreOrder(groupResources: Iterable<string>): string[] {
  const rank = (groupResource: string) => {
    const index = RESTORE_PRIORITIES.indexOf(groupResource);
    return index < 0 ? RESTORE_PRIORITIES.length : index;
  };
  return [...groupResources].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
