import type { KubeObject } from "@kbackup/core";

/** True when the client asked for the `meta.k8s.io Table` view, as kubectl does for its human output. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /;\s*as=Table/.test(accept);
}

/**
 * The objects as a `Table` with the columns every kind has in Kubernetes' default printer, NAME and
 * AGE; each row carries the object's metadata (as `PartialObjectMetadata`) so that kubectl can add
 * its NAMESPACE column.
 */
export function tableOf(objects: readonly KubeObject[], listMetadata: Record<string, unknown>, now: Date): Record<string, unknown> {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMetadata,
    columnDefinitions: [
      { name: "Name", type: "string", format: "name", description: "The object's name.", priority: 0 },
      { name: "Age", type: "string", format: "", description: "How long ago the object was created.", priority: 0 },
    ],
    rows: objects.map((object) => ({
      cells: [object.metadata.name ?? "", age(object.metadata.creationTimestamp, now)],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata },
    })),
  };
}

/** Kubernetes' short age: `45s`, `12m`, `3h`, `2d`. */
function age(created: string | undefined, now: Date): string {
  const since = created === undefined ? Number.NaN : now.getTime() - Date.parse(created);
  if (!Number.isFinite(since)) return "<unknown>";
  const seconds = Math.max(0, Math.floor(since / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
