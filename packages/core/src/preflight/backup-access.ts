import { DEPENDENT_TYPES, isBackedUpResourceType } from "../backup/backup-order.js";
import { BACKUP_HOOKS_RESOURCE } from "../hooks/hook-resources.js";
import { groupResourceOf, type ApiResource } from "../kube/types.js";
import type { KubernetesClusterBackupDatasourceParameters, Selection } from "../selection/index.js";
import type { NeededAccess } from "./check-permissions.js";

const CLAIMS = "persistentvolumeclaims";
const VOLUMES = "persistentvolumes";
const CRDS = "customresourcedefinitions.apiextensions.k8s.io";

/**
 * The accesses a backup needs on its cluster: `list` and `get` across the cluster on every type it
 * lists (the selected ones, the volumes of selected claims, the CRDs of selected custom resources,
 * the namespaces); with hook references, `get` on each referenced `BackupHook` and `create` on
 * `pods/exec` (with `get` on `pods`) in the namespaces it backs up.
 */
export function backupAccessNeeds(discovered: readonly ApiResource[], selection: Selection, parameters: KubernetesClusterBackupDatasourceParameters): NeededAccess[] {
  const listed = discovered.filter(isBackedUpResourceType);
  const selected = listed.filter((type) => selection.selectsResourceType(type));
  const names = new Set(selected.map(groupResourceOf));
  const dependent = listed.filter((type) => {
    const name = groupResourceOf(type);
    if (!DEPENDENT_TYPES.includes(name) || names.has(name)) return false;
    if (name === VOLUMES) return names.has(CLAIMS);
    if (name === CRDS) return selected.some((other) => other.group !== "");
    return true;
  });
  const needs: NeededAccess[] = [];
  for (const type of [...selected, ...dependent]) {
    const purpose = `to back up ${groupResourceOf(type)}`;
    needs.push({ group: type.group, resource: type.resource, verb: "list", purpose }, { group: type.group, resource: type.resource, verb: "get", purpose });
  }
  const references = parameters.backupHookReferences ?? [];
  if (references.length > 0) {
    for (const reference of references) {
      needs.push({ group: BACKUP_HOOKS_RESOURCE.group, resource: BACKUP_HOOKS_RESOURCE.resource, verb: "get", namespace: reference.namespace, purpose: "to read the backup hooks referenced" });
    }
    const namespaces = parameters.includedNamespaces && parameters.includedNamespaces.length > 0 ? parameters.includedNamespaces : [undefined];
    for (const namespace of namespaces) {
      const scope = namespace === undefined ? {} : { namespace };
      needs.push({ group: "", resource: "pods", subresource: "exec", verb: "create", ...scope, purpose: "to run backup hooks in pods" });
      needs.push({ group: "", resource: "pods", verb: "get", ...scope, purpose: "to run backup hooks in pods" });
    }
  }
  return needs;
}
