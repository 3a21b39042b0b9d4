/** What a resource URL names: `/api/v1/namespaces/shop/pods/web-0/exec` and its kin. */
export interface ResourcePath {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A URL of the API server, sorted into what the server answers differently. */
export type ApiPath =
  | { type: "version" }
  | { type: "health" }
  | { type: "core-versions" }
  | { type: "groups" }
  | { type: "group"; group: string }
  | { type: "resources"; group: string; version: string }
  | { type: "openapi-paths" }
  | { type: "openapi"; group: string; version: string }
  | { type: "resource"; path: ResourcePath }
  | { type: "unknown" };

/** Subresources of a namespace, which `/api/v1/namespaces/{name}/{segment}` names instead of a resource in it. */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/** Sorts a URL path (without its query) into the kinds of request the server answers. */
export function parseApiPath(pathname: string): ApiPath {
  const segments = pathname.split("/").filter((segment) => segment !== "").map(decodeURIComponent);
  const [first, second, third] = segments;
  if (segments.length === 1 && first === "version") return { type: "version" };
  if (segments.length === 1 && (first === "healthz" || first === "livez" || first === "readyz")) return { type: "health" };
  if (first === "openapi" && second === "v3") {
    if (segments.length === 2) return { type: "openapi-paths" };
    if (third === "api" && segments.length === 4) return { type: "openapi", group: "", version: segments[3] as string };
    if (third === "apis" && segments.length === 5) return { type: "openapi", group: segments[3] as string, version: segments[4] as string };
    return { type: "unknown" };
  }
  if (first === "api") {
    if (segments.length === 1) return { type: "core-versions" };
    return resourceOrList("", second as string, segments.slice(2));
  }
  if (first === "apis") {
    if (segments.length === 1) return { type: "groups" };
    if (segments.length === 2) return { type: "group", group: second as string };
    return resourceOrList(second as string, third as string, segments.slice(3));
  }
  return { type: "unknown" };
}

function resourceOrList(group: string, version: string, rest: string[]): ApiPath {
  if (rest.length === 0) return { type: "resources", group, version };
  const [a, b, c, d, e] = rest;
  // `namespaces/{ns}/...` names resources in a namespace, except the namespace's own item and subresources.
  if (a === "namespaces" && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(c as string))) {
    if (rest.length > 5) return { type: "unknown" };
    return { type: "resource", path: clean({ group, version, namespace: b, resource: c as string, name: d, subresource: e }) };
  }
  if (rest.length > 3) return { type: "unknown" };
  return { type: "resource", path: clean({ group, version, resource: a as string, name: b, subresource: c }) };
}

function clean(path: { group: string; version: string; resource: string; namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined }): ResourcePath {
  const out: ResourcePath = { group: path.group, version: path.version, resource: path.resource };
  if (path.namespace !== undefined) out.namespace = path.namespace;
  if (path.name !== undefined) out.name = path.name;
  if (path.subresource !== undefined) out.subresource = path.subresource;
  return out;
}
