import { hasOwn } from "./json-value.js";

/**
 * How a strategic merge patch treats a field, as Kubernetes declares it with
 * `x-kubernetes-patch-strategy` (Go tag `patchStrategy`). `merge` merges a list element by element
 * (by `patchMergeKey` for lists of objects, as a set for lists of primitives); `replace` replaces
 * the field whole; `retainKeys` marks fields whose patch may carry a `$retainKeys` directive.
 * A field without a strategy is merged when it is a map and replaced when it is a list.
 */
export type PatchStrategy = "merge" | "replace" | "retainKeys" | "merge,retainKeys";

/**
 * Patch metadata of one value: what kind of value it is and, for the field that holds it, its patch
 * strategy and merge key. A tree that mirrors the object: `fields` for an object with known fields,
 * `values` for a map (every value has the same schema), `items` for the elements of a list.
 * Fields the tree does not name have no metadata: maps merge, lists are replaced.
 */
export interface PatchSchema {
  readonly type: "object" | "map" | "list" | "primitive";
  /** For `object`: the schema of each known field. */
  readonly fields?: Readonly<Record<string, PatchSchema>>;
  /** For `map`: the schema of every value. */
  readonly values?: PatchSchema;
  /** For `list`: the schema of every element. */
  readonly items?: PatchSchema;
  /** The field's patch strategy (`x-kubernetes-patch-strategy`). */
  readonly patchStrategy?: PatchStrategy;
  /** The field's merge key for lists of objects merged by key (`x-kubernetes-patch-merge-key`). */
  readonly patchMergeKey?: string;
}

/** The schema of `key` inside a value described by `schema`; undefined when nothing is known. */
export function fieldSchema(schema: PatchSchema | undefined, key: string): PatchSchema | undefined {
  if (schema === undefined) return undefined;
  if (schema.type === "map") return schema.values;
  const fields = schema.fields;
  return fields !== undefined && hasOwn(fields as Record<string, unknown>, key) ? fields[key] : undefined;
}

/** True when the field's strategy merges lists (`merge` or `merge,retainKeys`). */
export function mergesLists(schema: PatchSchema | undefined): boolean {
  const strategy = schema?.patchStrategy;
  return strategy === "merge" || strategy === "merge,retainKeys";
}

/** True when the field's strategy replaces maps whole instead of merging them. */
export function replacesMaps(schema: PatchSchema | undefined): boolean {
  return schema?.patchStrategy === "replace";
}
