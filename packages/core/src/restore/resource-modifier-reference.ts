import { KBackupError } from "../errors.js";
import { applyResourceModifiers, resourceModifiersFromConfigMap } from "../modifiers/index.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { NamespacedName } from "../selection/index.js";
import type { RestoreModifier } from "./restore-engine.js";

const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" };

/**
 * Reads the ConfigMap that `resourceModifierReference` names from the target cluster and turns its
 * rules into a restore modifier. A missing ConfigMap is NotFound and a malformed rule file is
 * InvalidArgument, both before the restore writes anything; a rule that fails on one object is a
 * warning on that item, which is still restored with the rules that succeeded.
 */
export async function loadRestoreModifier(cluster: ClusterClient, reference: NamespacedName, abortSignal?: AbortSignal): Promise<RestoreModifier> {
  const configMap = await cluster.get(CONFIGMAPS, reference.name, { namespace: reference.namespace, ...(abortSignal ? { abortSignal } : {}) });
  if (!configMap) {
    throw new KBackupError("NotFound", `restoreCriteria.resourceModifierReference: there is no ConfigMap ${reference.namespace}/${reference.name} in the target cluster.`, {
      field: "restoreCriteria.resourceModifierReference",
    });
  }
  const modifiers = resourceModifiersFromConfigMap(configMap);
  return (object, { groupResource, sourceNamespace }) => {
    const result = applyResourceModifiers(modifiers, object, { groupResource, ...(sourceNamespace ? { namespace: sourceNamespace } : {}) });
    return { object: result.object, appliedRules: result.appliedRules, warnings: result.errors.map((error) => error.message) };
  };
}
