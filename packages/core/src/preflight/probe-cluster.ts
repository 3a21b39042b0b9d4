import type { ApiResource } from "../kube/types.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { OperationOptions } from "../ports/options.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };

/** What {@link probeCluster} learnt: the served types when the cluster answered, and the findings. */
export interface ClusterProbe {
  discovered?: ApiResource[];
  findings: PreflightFinding[];
}

/**
 * Asks the cluster for its API (discovery) and for one page of one object of a list (namespaces):
 * a cluster that answers both can be backed up from or restored to. Either failing is a
 * `ClusterUnreachable` Error (a refused list too, as nothing else could work then); never throws
 * but for an abort.
 */
export async function probeCluster(cluster: ClusterClient, role: string, options: OperationOptions = {}): Promise<ClusterProbe> {
  const target = `${role} ${cluster.identity.name}`;
  let discovered: ApiResource[];
  try {
    discovered = await cluster.discover(options);
  } catch (error) {
    rethrowAbort(error);
    return { findings: [preflightFinding("ClusterUnreachable", target, `Discovery failed: ${messageOf(error)}`)] };
  }
  try {
    await cluster.list(NAMESPACES, options).byPage({ maxPageSize: 1 }).next();
  } catch (error) {
    rethrowAbort(error);
    return { discovered, findings: [preflightFinding("ClusterUnreachable", target, `Listing namespaces failed: ${messageOf(error)}`)] };
  }
  return { discovered, findings: [] };
}
