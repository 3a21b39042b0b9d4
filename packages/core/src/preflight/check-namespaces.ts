import type { ClusterClient } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { rethrowAbort } from "./check-errors.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };

/**
 * Checks that each namespace a backup includes exists in the cluster (`NamespaceMissing`). A read
 * the cluster refuses is left to the other checks. Never throws but for an abort.
 */
export async function checkClusterNamespaces(cluster: ClusterClient, namespaces: readonly string[], options: OperationOptions = {}): Promise<PreflightFinding[]> {
  const findings: PreflightFinding[] = [];
  for (const namespace of new Set(namespaces)) {
    try {
      const found = await cluster.get(NAMESPACES, namespace, options);
      if (!found) findings.push(preflightFinding("NamespaceMissing", `namespaces/${namespace}`, `includedNamespaces names ${namespace}, which cluster ${cluster.identity.name} does not have: nothing of it would be backed up.`));
    } catch (error) {
      rethrowAbort(error);
    }
  }
  return findings;
}

/** Checks that each namespace a restore includes is in the recovery point (`NamespaceMissing`). */
export function checkRecoveryPointNamespaces(manifest: RecoveryPointManifest, namespaces: readonly string[]): PreflightFinding[] {
  const held = new Set<string>();
  for (const item of manifest.items) {
    if (item.namespace !== undefined) held.add(item.namespace);
    else if (item.group === "" && item.resource === "namespaces") held.add(item.name);
  }
  return [...new Set(namespaces)]
    .filter((namespace) => !held.has(namespace))
    .map((namespace) =>
      preflightFinding("NamespaceMissing", `namespaces/${namespace}`, `includedNamespaces names ${namespace}, which recovery point ${manifest.recoveryPointId} does not hold: nothing of it would be restored.`, {
        remedy: "Remove the namespace from includedNamespaces, or restore a recovery point whose backup included it.",
      }),
    );
}
