import type { LabelSelector } from "../selection/index.js";

/** The JSON Patch operations a resource modifier rule may use (RFC 6902). */
export type ResourceModifierOperation = "add" | "remove" | "replace" | "copy" | "move" | "test";

/**
 * A resource modifiers document in Velero's `version: v1` format, the content of the one key of the
 * ConfigMap a restore names. Rules apply in order to each object being restored.
 */
export interface ResourceModifiersDocument {
  version: "v1";
  resourceModifierRules: ResourceModifierRuleDocument[];
}

/** One rule: the conditions an object must meet, and exactly one list of patches. */
export interface ResourceModifierRuleDocument {
  conditions: ResourceModifierConditions;
  /** JSON Patch operations, applied in order as one patch. */
  patches?: ResourceModifierJsonPatch[];
  /** JSON Merge Patches (RFC 7396), applied in order. */
  mergePatches?: ResourceModifierPatchData[];
  /** Kubernetes strategic merge patches, applied in order. */
  strategicPatches?: ResourceModifierPatchData[];
}

/** What selects the objects a rule changes; every condition given must hold. */
export interface ResourceModifierConditions {
  /**
   * A glob over `<resource>.<group>` (`pods`, `deployments.apps`) with `.` as the separator:
   * `*` is any core-group resource, `*.apps` any resource of apps, `**` everything.
   */
  groupResource: string;
  /** Globs over the object's namespace in the backup; cluster-scoped objects ignore them. Empty means all. */
  namespaces?: string[];
  /** An RE2 regular expression searched for (unanchored) in the object's name. */
  resourceNameRegex?: string;
  /** A Kubernetes label selector over the object's labels. */
  labelSelector?: LabelSelector;
  /** Values the object must hold at JSON Pointer paths; a missing path does not match. */
  matches?: ResourceModifierMatch[];
}

/**
 * One JSON Patch operation in Velero's spelling; `from` is for `copy` and `move`. `value` is a
 * string read the way Velero reads it: `null`, `true`, `false` and numbers become JSON values; a
 * value starting with `{` or `[` is parsed as JSON; `"..."` (in double quotes) is the string
 * inside; anything else, or no value, is that string.
 */
export interface ResourceModifierJsonPatch {
  operation: ResourceModifierOperation;
  path: string;
  from?: string;
  value?: string;
}

/** A merge or strategic merge patch, written as YAML or JSON text. */
export interface ResourceModifierPatchData {
  patchData: string;
}

/** A condition on the object's content: the value at `path` equals `value`, read as JSON like a patch value. */
export interface ResourceModifierMatch {
  path: string;
  value?: string;
}
