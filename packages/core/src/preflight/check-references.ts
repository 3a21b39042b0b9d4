import { isKBackupError } from "../errors.js";
import { resolveHookReferences, type HookReference } from "../hooks/resolve-hook-references.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import { loadRestoreModifier } from "../restore/resource-modifier-reference.js";
import type { NamespacedName } from "../selection/index.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";

/**
 * Reads and parses each referenced `BackupHook` or `RestoreHook` from the cluster, as the job will:
 * one that does not exist (or whose CRD is not installed) is `HookReferenceMissing`, one that does
 * not parse `HookReferenceInvalid`. A read the cluster refuses is left to the permission checks.
 * Never throws but for an abort.
 */
export async function checkHookReferences(cluster: ClusterClient, references: readonly HookReference[], kind: "BackupHook" | "RestoreHook", options: OperationOptions = {}): Promise<PreflightFinding[]> {
  const findings: PreflightFinding[] = [];
  for (const reference of references) {
    const target = `${kind} ${reference.namespace}/${reference.name}`;
    try {
      if (kind === "BackupHook") await resolveHookReferences(cluster, [reference], kind, options);
      else await resolveHookReferences(cluster, [reference], kind, options);
    } catch (error) {
      rethrowAbort(error);
      if (isKBackupError(error, "PermissionDenied")) continue;
      if (isKBackupError(error, "InvalidArgument")) findings.push(preflightFinding("HookReferenceInvalid", target, `It does not parse: ${messageOf(error)}`));
      else if (isKBackupError(error, "NotFound")) findings.push(preflightFinding("HookReferenceMissing", target, `There is no ${kind} ${reference.namespace}/${reference.name} in cluster ${cluster.identity.name}.`));
      else findings.push(preflightFinding("HookReferenceMissing", target, `It could not be read: ${messageOf(error)}`));
    }
  }
  return findings;
}

/**
 * Reads and parses the ConfigMap of resource modifier rules from the target cluster, as the
 * restore will: missing is `ModifierReferenceMissing`, rules that do not parse
 * `ModifierReferenceInvalid`. A read the cluster refuses is left to the permission checks. Never
 * throws but for an abort.
 */
export async function checkModifierReference(cluster: ClusterClient, reference: NamespacedName, options: OperationOptions = {}): Promise<PreflightFinding[]> {
  const target = `ConfigMap ${reference.namespace}/${reference.name}`;
  try {
    await loadRestoreModifier(cluster, reference, options.abortSignal);
    return [];
  } catch (error) {
    rethrowAbort(error);
    if (isKBackupError(error, "PermissionDenied")) return [];
    if (isKBackupError(error, "InvalidArgument")) return [preflightFinding("ModifierReferenceInvalid", target, `Its resource modifier rules do not parse: ${messageOf(error)}`)];
    if (isKBackupError(error, "NotFound")) return [preflightFinding("ModifierReferenceMissing", target, `There is no ConfigMap ${reference.namespace}/${reference.name} in cluster ${cluster.identity.name}.`)];
    return [preflightFinding("ModifierReferenceMissing", target, `It could not be read: ${messageOf(error)}`)];
  }
}
