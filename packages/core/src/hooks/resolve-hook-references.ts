import { KBackupError, invalidArgument, isKBackupError, throwIfAborted } from "../errors.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "../selection/kube-names.js";
import type { BackupHookResource, RestoreHookResource } from "./hook-model.js";
import { BACKUP_HOOKS_RESOURCE, parseBackupHook, parseRestoreHook, RESTORE_HOOKS_RESOURCE, type HookResourceKind } from "./hook-resources.js";

/** A reference to a hook resource, as Azure's `backupHookReferences` / `restoreHookReferences` hold them. */
export interface HookReference {
  name: string;
  namespace: string;
}

/** Options of {@link resolveHookReferences}. */
export interface ResolveHookReferencesOptions extends OperationOptions {}

/**
 * Reads and parses the referenced `BackupHook`s (or `RestoreHook`s) from the cluster
 * (`clusterbackup.dataprotection.microsoft.com/v1alpha1`, resources `backuphooks` / `restorehooks`),
 * in the order given, a reference named twice once. Meant to run before a job does anything.
 * Throws InvalidArgument (field `backupHookReferences[i].name`, or `restoreHookReferences[...]`) for a
 * malformed reference before any read; NotFound naming the first reference that does not exist
 * (also when the cluster does not serve the hook resources at all); InvalidArgument from
 * `parseBackupHook` / `parseRestoreHook` for a malformed resource; the cluster's errors otherwise.
 */
export async function resolveHookReferences(
  cluster: ClusterClient,
  refs: readonly HookReference[],
  kind: "BackupHook",
  options?: ResolveHookReferencesOptions,
): Promise<BackupHookResource[]>;
export async function resolveHookReferences(
  cluster: ClusterClient,
  refs: readonly HookReference[],
  kind: "RestoreHook",
  options?: ResolveHookReferencesOptions,
): Promise<RestoreHookResource[]>;
export async function resolveHookReferences(
  cluster: ClusterClient,
  refs: readonly HookReference[],
  kind: HookResourceKind,
  options: ResolveHookReferencesOptions = {},
): Promise<Array<BackupHookResource | RestoreHookResource>> {
  if (kind !== "BackupHook" && kind !== "RestoreHook") throw invalidArgument("kind", `must be "BackupHook" or "RestoreHook", got ${String(kind)}`);
  const field = kind === "BackupHook" ? "backupHookReferences" : "restoreHookReferences";
  if (!Array.isArray(refs)) throw invalidArgument(field, "must be an array of { name, namespace }");
  const unique = new Map<string, HookReference>();
  refs.forEach((ref, index) => {
    const name = (ref as Partial<HookReference> | null)?.name;
    const namespace = (ref as Partial<HookReference> | null)?.namespace;
    const nameProblem = typeof name === "string" ? dns1123SubdomainProblem(name) : "must be a string";
    if (nameProblem !== undefined) throw invalidArgument(`${field}[${index}].name`, `invalid ${kind} name: ${nameProblem}`);
    const namespaceProblem = typeof namespace === "string" ? dns1123LabelProblem(namespace) : "must be a string";
    if (namespaceProblem !== undefined) throw invalidArgument(`${field}[${index}].namespace`, `invalid namespace: ${namespaceProblem}`);
    unique.set(`${namespace}/${name}`, { name: name!, namespace: namespace! });
  });

  const resource = kind === "BackupHook" ? BACKUP_HOOKS_RESOURCE : RESTORE_HOOKS_RESOURCE;
  const parse = kind === "BackupHook" ? parseBackupHook : parseRestoreHook;
  const resolved: Array<BackupHookResource | RestoreHookResource> = [];
  for (const ref of unique.values()) {
    throwIfAborted(options.abortSignal);
    const missing = (cause?: unknown) =>
      new KBackupError("NotFound", `${kind} ${ref.namespace}/${ref.name} not found in cluster "${cluster.identity.name}"`, {
        field,
        cause,
        details: { kind, namespace: ref.namespace, name: ref.name },
      });
    let object;
    try {
      object = await cluster.get(resource, ref.name, { namespace: ref.namespace, abortSignal: options.abortSignal });
    } catch (error) {
      // A cluster without the hook CRD answers NotFound for the resource type itself.
      if (isKBackupError(error, "NotFound")) throw missing(error);
      throw error;
    }
    if (object === undefined) throw missing();
    resolved.push(parse(object));
  }
  return resolved;
}
