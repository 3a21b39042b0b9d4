/** Kubernetes object metadata, as much of it as kbackup reads; other fields pass through untouched. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<Record<string, unknown>>;
  finalizers?: string[];
  [field: string]: unknown;
}

/** Any Kubernetes object as JSON: `apiVersion`, `kind`, `metadata`, and whatever its kind has. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * Names one resource type of the API: what `kubectl api-resources` shows.
 * `group` is "" for the core group.
 */
export interface ResourceRef {
  group: string;
  version: string;
  /** The plural resource name, as in the URL path: `deployments`. */
  resource: string;
}

/** A resource type as discovery reports it. */
export interface ApiResource extends ResourceRef {
  kind: string;
  namespaced: boolean;
  /** The verbs the API serves for it: get, list, create, patch, update, delete, watch, ... */
  verbs: string[];
  /** Subresources served, such as `status`, `exec`, `scale`. */
  subresources?: string[];
  shortNames?: string[];
}

/** Where an object lives: its name and, for namespaced kinds, its namespace. */
export interface ObjectLocation {
  name: string;
  namespace?: string;
}

/** `apps/v1` for a group, `v1` for the core group. */
export function apiVersionOf(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group === "" ? ref.version : `${ref.group}/${ref.version}`;
}

/** Splits an apiVersion into group and version: `apps/v1` → apps, v1; `v1` → "", v1. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Velero's name of a resource type: `<resource>.<group>`, or just `<resource>` for the core group. */
export function groupResourceOf(ref: Pick<ResourceRef, "group" | "resource">): string {
  return ref.group === "" ? ref.resource : `${ref.resource}.${ref.group}`;
}

/** `ns/name` for namespaced objects, `name` for cluster-scoped ones. */
export function objectPath(location: ObjectLocation): string {
  return location.namespace ? `${location.namespace}/${location.name}` : location.name;
}
