import { groupResourceOf } from "../kube/types.js";
import type { ClusterClient, ResourceAccessCheck } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";

/** An access an operation needs, and what for (`to back up its objects`). */
export interface NeededAccess extends ResourceAccessCheck {
  purpose: string;
}

/**
 * Asks the cluster (`checkAccess`) whether it allows every needed access, each asked once, and
 * reports the refused ones as `PermissionMissing` Errors, one per resource and verb, naming the
 * namespaces. A client without `checkAccess`, or one that cannot answer, gives one
 * `PermissionCheckUnavailable` Warning. Never throws but for an abort.
 */
export async function checkPermissions(cluster: ClusterClient, needed: readonly NeededAccess[], options: OperationOptions = {}): Promise<PreflightFinding[]> {
  const unique = new Map<string, NeededAccess>();
  for (const access of needed) unique.set(accessKey(access), access);
  const checks = [...unique.values()];
  if (checks.length === 0) return [];
  const target = `cluster ${cluster.identity.name}`;
  if (typeof cluster.checkAccess !== "function") {
    return [preflightFinding("PermissionCheckUnavailable", target, "The cluster client cannot check permissions in advance (it has no checkAccess).")];
  }
  let answers: boolean[];
  try {
    answers = await cluster.checkAccess(
      checks.map(({ purpose: _purpose, ...check }) => check),
      options,
    );
  } catch (error) {
    rethrowAbort(error);
    return [preflightFinding("PermissionCheckUnavailable", target, `The cluster could not be asked for permissions: ${messageOf(error)}`)];
  }
  const denied = new Map<string, { access: NeededAccess; scopes: string[] }>();
  checks.forEach((access, index) => {
    if (answers[index] === true) return;
    const { namespace: _namespace, ...everywhere } = access;
    const key = accessKey(everywhere);
    const entry = denied.get(key) ?? { access, scopes: [] };
    entry.scopes.push(access.namespace ?? "");
    denied.set(key, entry);
  });
  return [...denied.values()].map(({ access, scopes }) => {
    const name = resourceName(access);
    const namespaces = scopes.filter((scope) => scope !== "").sort();
    const where = [...(scopes.includes("") ? ["across the cluster"] : []), ...(namespaces.length > 0 ? [`in namespace${namespaces.length === 1 ? "" : "s"} ${namespaces.join(", ")}`] : [])].join(" and ");
    return preflightFinding("PermissionMissing", name, `Cluster ${cluster.identity.name} does not allow ${access.verb} on ${name} ${where}, needed ${access.purpose}.`);
  });
}

/** `deployments.apps`, `pods/exec`: how findings name a resource. */
function resourceName(access: ResourceAccessCheck): string {
  const name = groupResourceOf(access);
  return access.subresource ? `${access.resource}/${access.subresource}${access.group ? `.${access.group}` : ""}` : name;
}

function accessKey(access: ResourceAccessCheck): string {
  return JSON.stringify([access.group, access.resource, access.subresource ?? "", access.verb, access.namespace ?? ""]);
}
