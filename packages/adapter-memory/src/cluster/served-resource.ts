import { invalidArgument, type ApiResource, type KubeObject } from "@kbackup/core";
import { jsonCopy } from "./json-copy.js";
import { BUILTIN_RESOURCES } from "./builtin-resources.js";

/** A resource type the memory cluster serves: its discovery entry and every version it accepts. */
export interface ServedResource {
  /** What discovery reports: the preferred (for custom resources, the storage) version. */
  readonly api: ApiResource;
  /** Versions a request may name; objects are stored once whatever the version. */
  readonly versions: readonly string[];
  /** True for types defined by a CustomResourceDefinition. */
  readonly custom: boolean;
  /** Where its objects are stored: {@link resourceKey} of its group and resource. */
  readonly key: string;
}

const CUSTOM_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** The key a resource type's objects are stored under, whatever version a request names. */
export function resourceKey(group: string, resource: string): string {
  return `${group}/${resource}`;
}

/** The built-in types, each served at its one version. */
export function builtinServedResources(): ServedResource[] {
  return BUILTIN_RESOURCES.map((api) => ({ api, versions: [api.version], custom: false, key: resourceKey(api.group, api.resource) }));
}

interface CrdVersion {
  name?: unknown;
  served?: unknown;
  storage?: unknown;
  subresources?: unknown;
}

/**
 * Checks a CustomResourceDefinition before it is stored: group, names, scope, and exactly one
 * served storage version. Throws InvalidArgument naming the field.
 */
export function validateCustomResourceDefinition(crd: KubeObject, field: string): void {
  const spec = crd["spec"] as Record<string, unknown> | undefined;
  if (typeof spec !== "object" || spec === null) throw invalidArgument(`${field}.spec`, "a CustomResourceDefinition needs a spec");
  const group = spec["group"];
  if (typeof group !== "string" || group === "") throw invalidArgument(`${field}.spec.group`, "must be a non-empty string");
  const names = spec["names"] as Record<string, unknown> | undefined;
  if (typeof names?.["plural"] !== "string" || names["plural"] === "") throw invalidArgument(`${field}.spec.names.plural`, "must be a non-empty string");
  if (typeof names["kind"] !== "string" || names["kind"] === "") throw invalidArgument(`${field}.spec.names.kind`, "must be a non-empty string");
  if (crd.metadata.name !== `${names["plural"]}.${group}`) {
    throw invalidArgument(`${field}.metadata.name`, `must be "${names["plural"]}.${group}" (spec.names.plural + "." + spec.group)`);
  }
  if (spec["scope"] !== "Namespaced" && spec["scope"] !== "Cluster") throw invalidArgument(`${field}.spec.scope`, 'must be "Namespaced" or "Cluster"');
  const versions = spec["versions"];
  if (!Array.isArray(versions) || versions.length === 0) throw invalidArgument(`${field}.spec.versions`, "must list at least one version");
  versions.forEach((version: CrdVersion, index) => {
    if (typeof version?.name !== "string" || version.name === "") throw invalidArgument(`${field}.spec.versions[${index}].name`, "must be a non-empty string");
  });
  const storage = (versions as CrdVersion[]).filter((version) => version.storage === true);
  if (storage.length !== 1) throw invalidArgument(`${field}.spec.versions`, "exactly one version must have storage: true");
  if (storage[0]?.served !== true) throw invalidArgument(`${field}.spec.versions`, "the storage version must be served");
}

/**
 * The type a stored CustomResourceDefinition defines, discovered at its storage version, or
 * `undefined` when the definition is being deleted (or was stored without validation and is unusable).
 */
export function customServedResource(crd: KubeObject): ServedResource | undefined {
  if (crd.metadata.deletionTimestamp !== undefined) return undefined;
  const spec = crd["spec"] as Record<string, unknown> | undefined;
  const names = spec?.["names"] as Record<string, unknown> | undefined;
  const versions = spec?.["versions"];
  if (typeof spec?.["group"] !== "string" || typeof names?.["plural"] !== "string" || typeof names["kind"] !== "string" || !Array.isArray(versions)) {
    return undefined;
  }
  const served = (versions as CrdVersion[]).filter((version) => version.served === true && typeof version.name === "string");
  const storage = served.find((version) => version.storage === true);
  if (storage === undefined) return undefined;
  const subresources = typeof storage.subresources === "object" && storage.subresources !== null ? Object.keys(storage.subresources).sort() : [];
  const shortNames = Array.isArray(names["shortNames"]) ? names["shortNames"].filter((name): name is string => typeof name === "string") : [];
  const api: ApiResource = {
    group: spec["group"],
    version: storage.name as string,
    resource: names["plural"],
    kind: names["kind"],
    namespaced: spec["scope"] === "Namespaced",
    verbs: CUSTOM_VERBS,
    ...(subresources.length > 0 ? { subresources } : {}),
    ...(shortNames.length > 0 ? { shortNames } : {}),
  };
  return { api, versions: served.map((version) => version.name as string), custom: true, key: resourceKey(api.group, api.resource) };
}

/** The status the API server gives an accepted CustomResourceDefinition: names accepted, established. */
export function customResourceDefinitionStatus(crd: KubeObject, time: string): Record<string, unknown> {
  const spec = crd["spec"] as Record<string, unknown>;
  const versions = (spec["versions"] as Array<Record<string, unknown>>).filter((version) => version["storage"] === true).map((version) => version["name"]);
  return {
    acceptedNames: jsonCopy(spec["names"]),
    conditions: [
      { type: "NamesAccepted", status: "True", reason: "NoConflicts", lastTransitionTime: time, message: "no conflicts found" },
      { type: "Established", status: "True", reason: "InitialNamesAccepted", lastTransitionTime: time, message: "the initial names have been accepted" },
    ],
    storedVersions: versions,
  };
}
