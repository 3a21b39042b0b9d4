import type { KubeObject } from "@kbackup/core";

const SERVER_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields", "ownerReferences", "finalizers"];
// Written by the PV controller and provisioners while binding; a restored volume binds anew.
const BIND_ANNOTATIONS = ["pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller", "kubectl.kubernetes.io/last-applied-configuration"];
/** The node label the Azure Disk CSI driver pins zonal disks with; values are `<region>-<zone>`. */
export const AZURE_DISK_ZONE_LABEL = "topology.disk.csi.azure.com/zone";
const ZONE_LABELS = [AZURE_DISK_ZONE_LABEL, "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

interface NodeSelectorTerm {
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  [field: string]: unknown;
}

/**
 * The backed-up PV rewritten to a new Azure disk: named `name`, its CSI volume handle the new
 * disk's id, its claim reference, status and server-owned metadata gone, and its zone affinity
 * set to `zone` of `region` (or dropped for a disk without a zone).
 */
export function restoredPersistentVolume(backedUp: KubeObject, name: string, diskId: string, region: string, zone: string | undefined): KubeObject {
  const copy = structuredClone(backedUp);
  for (const field of SERVER_METADATA) delete copy.metadata[field];
  copy.metadata.name = name;
  const annotations = copy.metadata.annotations;
  if (annotations) {
    for (const key of BIND_ANNOTATIONS) delete annotations[key];
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  }
  delete copy.status;
  const spec = (copy.spec ??= {}) as Record<string, unknown>;
  delete spec.claimRef;
  const csi = (spec.csi ??= {}) as Record<string, unknown>;
  csi.volumeHandle = diskId;
  const attributes = csi.volumeAttributes as Record<string, string> | undefined;
  if (attributes?.["csi.storage.k8s.io/pv/name"] !== undefined) attributes["csi.storage.k8s.io/pv/name"] = name;

  const terms = (spec.nodeAffinity as { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } | undefined)?.required?.nodeSelectorTerms;
  if (terms) {
    for (const term of terms) {
      const expressions = term.matchExpressions ?? [];
      const others = expressions.filter((expression) => !ZONE_LABELS.includes(expression.key));
      const zonal = expressions.filter((expression) => ZONE_LABELS.includes(expression.key));
      if (zonal.length === 0) continue;
      term.matchExpressions = zone === undefined ? others : [...others, { key: AZURE_DISK_ZONE_LABEL, operator: "In", values: [`${region.toLowerCase()}-${zone}`] }];
    }
    const kept = terms.filter((term) => (term.matchExpressions?.length ?? 0) > 0 || Object.keys(term).some((key) => key !== "matchExpressions"));
    if (kept.length === 0) delete spec.nodeAffinity;
    else ((spec.nodeAffinity as { required: { nodeSelectorTerms: NodeSelectorTerm[] } }).required.nodeSelectorTerms = kept);
  }
  return copy;
}

/** The availability zone ("1") a PV is pinned to by its node affinity, if any. */
export function zoneOfPersistentVolume(persistentVolume: KubeObject): string | undefined {
  const terms = ((persistentVolume.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity?.required?.nodeSelectorTerms) ?? [];
  for (const term of terms) {
    for (const expression of term.matchExpressions ?? []) {
      if (!ZONE_LABELS.includes(expression.key) || expression.operator !== "In") continue;
      const value = expression.values?.[0];
      const zone = value === undefined ? undefined : /-(\d+)$/.exec(value)?.[1] ?? (/^\d+$/.test(value) ? value : undefined);
      if (zone !== undefined) return zone;
    }
  }
  return undefined;
}
