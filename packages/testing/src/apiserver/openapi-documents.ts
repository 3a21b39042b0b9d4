import { createHash } from "node:crypto";
import { apiVersionOf, patchSchemaFor, type ApiResource, type PatchSchema } from "@kbackup/core";

/**
 * `GET /openapi/v3`: the group versions that have a document, each at its
 * `serverRelativeURL` (with a hash, as Kubernetes publishes them).
 */
export function openApiPaths(resources: readonly ApiResource[]): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const groupVersion of new Set(resources.map((resource) => apiVersionOf(resource)))) {
    const prefix = groupVersion.includes("/") ? `apis/${groupVersion}` : `api/${groupVersion}`;
    const [group, version] = groupVersion.includes("/") ? (groupVersion.split("/") as [string, string]) : ["", groupVersion];
    const hash = createHash("sha256").update(JSON.stringify(openApiDocument(resources, group, version))).digest("hex").slice(0, 32).toUpperCase();
    paths[prefix] = { serverRelativeURL: `/openapi/v3/${prefix}?hash=${hash}` };
  }
  return { paths };
}

/**
 * A minimal OpenAPI v3 document of one group version: a schema per kind, named as Kubernetes
 * names them and tagged with `x-kubernetes-group-version-kind`, carrying the strategic merge patch
 * metadata (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`) of core's built-in
 * table. Every object schema keeps unknown fields, since the fields are not all described.
 * `undefined` when the group version has no resource.
 */
export function openApiDocument(resources: readonly ApiResource[], group: string, version: string): Record<string, unknown> | undefined {
  const served = resources.filter((resource) => resource.group === group && resource.version === version);
  if (served.length === 0) return undefined;
  const schemas: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  const apiVersion = apiVersionOf({ group, version });
  for (const resource of served) {
    const gvk = { group, version, kind: resource.kind };
    const patchSchema = patchSchemaFor(apiVersion, resource.kind);
    const schema = patchSchema === undefined ? { type: "object", "x-kubernetes-preserve-unknown-fields": true } : toOpenApi(patchSchema);
    schemas[schemaName(group, version, resource.kind)] = { ...schema, "x-kubernetes-group-version-kind": [gvk] };
    paths[itemPath(resource)] = itemOperations(resource, gvk);
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths, components: { schemas } };
}

/** The item URL of a resource, as the API server's document names it. */
function itemPath(resource: ApiResource): string {
  const root = resource.group === "" ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return `${root}${resource.namespaced ? "/namespaces/{namespace}" : ""}/${resource.resource}/{name}`;
}

/**
 * The item's write operations with their `fieldValidation` query parameter: kubectl looks for it on
 * the PATCH operation to know that the server validates fields itself, and otherwise validates on
 * the client against an OpenAPI v2 document, which this server does not publish.
 */
function itemOperations(resource: ApiResource, gvk: { group: string; version: string; kind: string }): Record<string, unknown> {
  const operation = (verb: string) => ({
    operationId: `${verb}${resource.kind}`,
    parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } }],
    responses: { "200": { description: "OK" } },
    "x-kubernetes-action": verb,
    "x-kubernetes-group-version-kind": gvk,
  });
  return { put: operation("put"), patch: operation("patch") };
}

function schemaName(group: string, version: string, kind: string): string {
  const prefix = group === "" ? "core" : group.split(".").reverse().join(".");
  return `io.k8s.api.${prefix}.${version}.${kind}`;
}

function toOpenApi(schema: PatchSchema): Record<string, unknown> {
  const node: Record<string, unknown> = {};
  switch (schema.type) {
    case "object":
      node["type"] = "object";
      node["properties"] = Object.fromEntries(Object.entries(schema.fields ?? {}).map(([key, field]) => [key, toOpenApi(field)]));
      node["x-kubernetes-preserve-unknown-fields"] = true;
      break;
    case "map":
      node["type"] = "object";
      node["additionalProperties"] = schema.values === undefined ? {} : toOpenApi(schema.values);
      break;
    case "list":
      node["type"] = "array";
      node["items"] = schema.items === undefined ? {} : toOpenApi(schema.items);
      break;
    case "primitive":
      break;
  }
  if (schema.patchStrategy !== undefined) node["x-kubernetes-patch-strategy"] = schema.patchStrategy;
  if (schema.patchMergeKey !== undefined) node["x-kubernetes-patch-merge-key"] = schema.patchMergeKey;
  return node;
}
