/** The parts of the ARM id of a managed disk or snapshot. */
export interface ComputeResourceId {
  subscriptionId: string;
  resourceGroup: string;
  kind: "disks" | "snapshots";
  name: string;
}

const ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(disks|snapshots)\/([^/]+)$/i;

/**
 * Parses `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/<disks|snapshots>/<name>`
 * (ARM ids are case-insensitive); undefined for anything else, or for another kind than `kind`.
 */
export function parseComputeResourceId(id: unknown, kind?: ComputeResourceId["kind"]): ComputeResourceId | undefined {
  if (typeof id !== "string") return undefined;
  const match = ID.exec(id.trim());
  if (!match) return undefined;
  const [, subscriptionId = "", resourceGroup = "", kindText = "", name = ""] = match;
  const parsed = { subscriptionId, resourceGroup, kind: kindText.toLowerCase() as ComputeResourceId["kind"], name };
  return kind === undefined || parsed.kind === kind ? parsed : undefined;
}

/** The ARM id of a managed disk or snapshot. */
export function computeResourceId(parts: ComputeResourceId): string {
  return `/subscriptions/${parts.subscriptionId}/resourceGroups/${parts.resourceGroup}/providers/Microsoft.Compute/${parts.kind}/${parts.name}`;
}

/**
 * A name for a new disk or snapshot (1-80 of letters, digits, `_`, `.`, `-`, starting with a
 * letter or digit and ending with a letter, digit or `_`) from `base` and a `suffix`.
 */
export function computeResourceName(base: string, suffix: string): string {
  const cleaned = base.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  const head = cleaned.slice(0, 79 - suffix.length) || "kbackup";
  return `${head}-${suffix}`;
}
