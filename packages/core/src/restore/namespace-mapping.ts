import type { KubeObject } from "../kube/types.js";

const NAME_LABEL = "kubernetes.io/metadata.name";

/** The target namespace of a source namespace under `namespaceMappings`. */
export function mapNamespace(namespace: string, mappings: Readonly<Record<string, string>> | undefined): string {
  return mappings?.[namespace] ?? namespace;
}

/**
 * Moves an object into its mapped namespace: its own namespace, a Namespace's name and name label, the
 * namespaces of service account subjects in role bindings, and a volume's claim reference.
 * Mutates `object` (a copy the restore owns).
 */
export function applyNamespaceMapping(object: KubeObject, groupResource: string, mappings: Readonly<Record<string, string>> | undefined): void {
  if (!mappings || Object.keys(mappings).length === 0) return;
  if (object.metadata.namespace) object.metadata.namespace = mapNamespace(object.metadata.namespace, mappings);
  if (groupResource === "namespaces" && object.metadata.name) {
    object.metadata.name = mapNamespace(object.metadata.name, mappings);
    // The API server keeps this label equal to the name; a stale one would only show as a difference.
    if (object.metadata.labels?.[NAME_LABEL] !== undefined) object.metadata.labels[NAME_LABEL] = object.metadata.name;
  }
  if (groupResource === "rolebindings.rbac.authorization.k8s.io" || groupResource === "clusterrolebindings.rbac.authorization.k8s.io") {
    const subjects = object.subjects as Array<{ kind?: string; namespace?: string }> | undefined;
    for (const subject of subjects ?? []) {
      if (subject.kind === "ServiceAccount" && subject.namespace) subject.namespace = mapNamespace(subject.namespace, mappings);
    }
  }
  const claimRef = (object.spec as { claimRef?: { namespace?: string } } | undefined)?.claimRef;
  if (groupResource === "persistentvolumes" && claimRef?.namespace) claimRef.namespace = mapNamespace(claimRef.namespace, mappings);
}
