import { isKBackupError, silentLogger, type ApiResource, type Logger } from "@kbackup/core";
import type { KubeTransport } from "./kube-transport.js";

interface ResourceListEntry {
  name?: string;
  kind?: string;
  namespaced?: boolean;
  verbs?: string[];
  shortNames?: string[];
}

interface GroupEntry {
  name?: string;
  preferredVersion?: { version?: string };
  versions?: Array<{ version?: string }>;
}

/**
 * The resource types of one group version from its `APIResourceList`: each with its kind, scope,
 * verbs and short names, and its subresources (`pods/exec` → `subresources: ["exec"]`) on it
 * rather than listed as types.
 */
export function resourcesOfList(entries: readonly ResourceListEntry[], group: string, version: string): ApiResource[] {
  const resources = new Map<string, ApiResource>();
  for (const entry of entries) {
    if (typeof entry.name !== "string" || entry.name.includes("/") || typeof entry.kind !== "string") continue;
    resources.set(entry.name, {
      group,
      version,
      resource: entry.name,
      kind: entry.kind,
      namespaced: entry.namespaced === true,
      verbs: [...(entry.verbs ?? [])],
      ...(entry.shortNames !== undefined && entry.shortNames.length > 0 ? { shortNames: [...entry.shortNames] } : {}),
    });
  }
  for (const entry of entries) {
    const slash = entry.name?.indexOf("/") ?? -1;
    if (slash < 0) continue;
    const parent = resources.get((entry.name as string).slice(0, slash));
    if (parent !== undefined) parent.subresources = [...(parent.subresources ?? []), (entry.name as string).slice(slash + 1)];
  }
  return [...resources.values()];
}

/** The path of a group version's resource list: `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** The resource types of one group version; `undefined` when the server does not serve it (404). */
export async function discoverGroupVersion(transport: KubeTransport, group: string, version: string, signal: AbortSignal | undefined): Promise<ApiResource[] | undefined> {
  try {
    const list = await transport.json<{ resources?: ResourceListEntry[] }>({ method: "GET", path: groupVersionPath(group, version), signal });
    return resourcesOfList(list.resources ?? [], group, version);
  } catch (error) {
    if (isKBackupError(error, "NotFound")) return undefined;
    throw error;
  }
}

/**
 * Every resource type the server serves at each group's preferred version. A group version whose
 * list cannot be read (an aggregated API that is down answers 503) is left out with a warning,
 * as kubectl does, so that one broken extension does not stop a backup.
 */
export async function discoverAll(transport: KubeTransport, signal: AbortSignal | undefined, logger: Logger = silentLogger): Promise<ApiResource[]> {
  const core = await transport.json<{ versions?: string[] }>({ method: "GET", path: "/api", signal });
  const groups = await transport.json<{ groups?: GroupEntry[] }>({ method: "GET", path: "/apis", signal });
  const targets: Array<{ group: string; version: string }> = [];
  const coreVersion = core.versions?.[0];
  if (coreVersion !== undefined) targets.push({ group: "", version: coreVersion });
  for (const group of groups.groups ?? []) {
    const version = group.preferredVersion?.version ?? group.versions?.[0]?.version;
    if (typeof group.name === "string" && typeof version === "string") targets.push({ group: group.name, version });
  }
  const lists = await Promise.all(
    targets.map(async ({ group, version }) => {
      try {
        return (await discoverGroupVersion(transport, group, version, signal)) ?? [];
      } catch (error) {
        if (!isKBackupError(error, "Unavailable") && !isKBackupError(error, "PermissionDenied")) throw error;
        logger.warn("A group version of the API could not be discovered; its types are left out", { groupVersion: group === "" ? version : `${group}/${version}`, reason: error.message });
        return [];
      }
    }),
  );
  return lists.flat();
}
