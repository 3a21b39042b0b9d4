import { apiVersionOf, type ApiResource } from "@kbackup/core";

/** Kind and verbs of the subresources Kubernetes serves; others are listed as the parent's kind with `get`. */
const SUBRESOURCES: Readonly<Record<string, { kind?: string; group?: string; version?: string; verbs: string[] }>> = {
  status: { verbs: ["get", "patch", "update"] },
  scale: { kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] },
  exec: { kind: "PodExecOptions", verbs: ["create", "get"] },
  attach: { kind: "PodAttachOptions", verbs: ["create", "get"] },
  portforward: { kind: "PodPortForwardOptions", verbs: ["create", "get"] },
  proxy: { kind: "PodProxyOptions", verbs: ["create", "delete", "get", "patch", "update"] },
  log: { verbs: ["get"] },
  binding: { kind: "Binding", verbs: ["create"] },
  eviction: { kind: "Eviction", group: "policy", version: "v1", verbs: ["create"] },
  ephemeralcontainers: { verbs: ["get", "patch", "update"] },
  resize: { verbs: ["get", "patch", "update"] },
  finalize: { verbs: ["update"] },
  token: { kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] },
};

/**
 * Resource types the server answers itself, beside those of the cluster: `SelfSubjectAccessReview`,
 * so that `kubectl auth can-i` and clients that check their rights before writing can ask.
 */
export const SERVER_RESOURCES: readonly ApiResource[] = [
  { group: "authorization.k8s.io", version: "v1", resource: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"] },
];

/** `GET /api`: the core group's versions. */
export function coreVersions(resources: readonly ApiResource[], serverAddress: string): Record<string, unknown> {
  const versions = [...new Set(resources.filter((resource) => resource.group === "").map((resource) => resource.version))];
  return { kind: "APIVersions", versions, serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

/** One group as `GET /apis` and `GET /apis/{group}` describe it; `undefined` for a group no resource is in. */
export function apiGroup(resources: readonly ApiResource[], group: string): Record<string, unknown> | undefined {
  const versions = [...new Set(resources.filter((resource) => resource.group === group).map((resource) => resource.version))];
  if (versions.length === 0) return undefined;
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: "APIGroup", apiVersion: "v1", name: group, versions: entries, preferredVersion: entries[0] };
}

/** `GET /apis`: every named group, in the order discovery lists them. */
export function apiGroupList(resources: readonly ApiResource[]): Record<string, unknown> {
  const groups = [...new Set(resources.map((resource) => resource.group).filter((group) => group !== ""))];
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((group) => {
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = apiGroup(resources, group) as Record<string, unknown>;
      return rest;
    }),
  };
}

/**
 * `GET /api/v1` or `GET /apis/{group}/{version}`: the resources of one group version with their
 * subresources (`pods/exec`, `deployments/status`), or `undefined` when the version is not served.
 */
export function apiResourceList(resources: readonly ApiResource[], group: string, version: string): Record<string, unknown> | undefined {
  const served = resources.filter((resource) => resource.group === group && resource.version === version);
  if (served.length === 0) return undefined;
  const entries: Array<Record<string, unknown>> = [];
  for (const resource of served) {
    entries.push({
      name: resource.resource,
      singularName: resource.kind.toLowerCase(),
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: resource.verbs,
      ...(resource.shortNames && resource.shortNames.length > 0 ? { shortNames: resource.shortNames } : {}),
    });
    for (const subresource of resource.subresources ?? []) {
      const known = SUBRESOURCES[subresource];
      entries.push({
        name: `${resource.resource}/${subresource}`,
        singularName: "",
        namespaced: resource.namespaced,
        ...(known?.group === undefined ? {} : { group: known.group, version: known.version }),
        kind: known?.kind ?? resource.kind,
        verbs: known?.verbs ?? ["get"],
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf({ group, version }), resources: entries };
}
