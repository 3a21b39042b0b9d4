import { RESTORE_HOOKS_RESOURCE } from "../hooks/hook-resources.js";
import { groupResourceOf } from "../kube/types.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { mapNamespace } from "../restore/namespace-mapping.js";
import { NEVER_RESTORED } from "../restore/restore-order.js";
import type { RestoreCriteria, Selection } from "../selection/index.js";
import type { NeededAccess } from "./check-permissions.js";

const NAMESPACES = "namespaces";
const CLAIMS = "persistentvolumeclaims";
const VOLUMES = "persistentvolumes";
const PODS = "pods";
const CRDS = "customresourcedefinitions.apiextensions.k8s.io";

/**
 * The accesses a restore of `manifest` by `criteria` needs on its target cluster: on every type it
 * would write, `get` and `create` (and `patch` with conflictPolicy Patch), in each target namespace
 * (after `namespaceMappings`) for namespaced types, and on the backed-up namespaces; `get` and
 * `create` on the namespaces items need, on the volumes
 * of restored claims (with volume data) and on the CRDs of restored custom resources; `get` on each
 * referenced `RestoreHook` and on the modifier ConfigMap; `create` on `pods/exec` where restored
 * pods would run restore hooks.
 */
export function restoreAccessNeeds(manifest: RecoveryPointManifest, criteria: RestoreCriteria, selection: Selection): NeededAccess[] {
  const types = new Map(manifest.resourceTypes.map((type) => [groupResourceOf(type), type]));
  const verbs = criteria.conflictPolicy === "Patch" ? ["get", "create", "patch"] : ["get", "create"];
  const scopes = new Map<string, Set<string | undefined>>();
  const podNamespaces = new Set<string>();
  for (const item of manifest.items) {
    const name = groupResourceOf(item);
    const type = types.get(name);
    if (!type || NEVER_RESTORED.has(name) || name === NAMESPACES) continue;
    if (!selection.selectsResourceType(type)) continue;
    if (item.namespace !== undefined && !selection.selectsNamespace(item.namespace)) continue;
    const namespace = type.namespaced && item.namespace !== undefined ? mapNamespace(item.namespace, criteria.namespaceMappings) : undefined;
    const scope = scopes.get(name) ?? new Set();
    scope.add(namespace);
    scopes.set(name, scope);
    if (name === PODS && namespace !== undefined) podNamespaces.add(namespace);
  }
  const restored = [...scopes.keys()];
  const needs: NeededAccess[] = [];
  const need = (name: string, group: string, resource: string, namespaces: Iterable<string | undefined>, list: readonly string[]) => {
    for (const namespace of namespaces) {
      for (const verb of list) needs.push({ group, resource, verb, ...(namespace === undefined ? {} : { namespace }), purpose: `to restore ${name}` });
    }
  };
  // Backed-up namespaces are restored as items (so patched with conflictPolicy Patch); others are made bare for their items.
  const namespaceItems = manifest.items.some((item) => groupResourceOf(item) === NAMESPACES && selection.selectsNamespace(item.name));
  if (namespaceItems) need(NAMESPACES, "", NAMESPACES, [undefined], verbs);
  else if (restored.some((name) => types.get(name)?.namespaced)) need(NAMESPACES, "", NAMESPACES, [undefined], ["get", "create"]);
  const volumeData = (criteria.persistentVolumeRestoreMode ?? "RestoreWithVolumeData") === "RestoreWithVolumeData";
  if (scopes.has(CLAIMS) && volumeData && types.has(VOLUMES) && !scopes.has(VOLUMES)) need(VOLUMES, "", VOLUMES, [undefined], ["get", "create"]);
  if (types.has(CRDS) && !scopes.has(CRDS) && restored.some((name) => types.get(name)?.group !== "")) need(CRDS, "apiextensions.k8s.io", "customresourcedefinitions", [undefined], ["get", "create"]);
  for (const [name, namespaces] of scopes) {
    const type = types.get(name)!;
    need(name, type.group, type.resource, namespaces, verbs);
  }
  const hooks = criteria.restoreHookReferences ?? [];
  for (const reference of hooks) {
    needs.push({ group: RESTORE_HOOKS_RESOURCE.group, resource: RESTORE_HOOKS_RESOURCE.resource, verb: "get", namespace: reference.namespace, purpose: "to read the restore hooks referenced" });
  }
  if (hooks.length > 0) {
    for (const namespace of podNamespaces) needs.push({ group: "", resource: PODS, subresource: "exec", verb: "create", namespace, purpose: "to run restore hooks in restored pods" });
  }
  const modifier = criteria.resourceModifierReference;
  if (modifier) needs.push({ group: "", resource: "configmaps", verb: "get", namespace: modifier.namespace, purpose: "to read the resource modifier rules" });
  return needs;
}
