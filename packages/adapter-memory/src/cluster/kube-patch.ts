import {
  KBackupError,
  apiVersionOf,
  applyJsonPatch,
  applyMergePatch,
  invalidArgument,
  isKBackupError,
  strategicMergePatch,
  type JsonPatchOperation,
  type KubeObject,
  type PatchType,
} from "@kbackup/core";
import { jsonEqual } from "./json-copy.js";
import type { ServedResource } from "./served-resource.js";

/** Top-level fields that are not the object's desired state, so changing them leaves `generation` alone. */
const NOT_SPEC = new Set(["apiVersion", "kind", "metadata", "status"]);

/**
 * Applies a patch of the given type to a stored object, as read at `version`. A patch that cannot
 * apply (the patch functions' Conflict, or their InvalidArgument) is InvalidArgument on `patch`
 * here, as the API server answers 422; a failed JSON Patch `test` stays PreconditionFailed; a
 * strategic patch of a kind without patch metadata stays Unsupported.
 */
export function applyKubePatch(current: KubeObject, patch: unknown, patchType: PatchType, version: string, served: ServedResource): unknown {
  const target = { ...current, apiVersion: apiVersionOf({ group: served.api.group, version }) };
  try {
    if (patchType === "merge") return applyMergePatch(target, patch);
    if (patchType === "json") return applyJsonPatch(target, patch as JsonPatchOperation[]);
    return strategicMergePatch(target, patch as object, { apiVersion: target.apiVersion, kind: served.api.kind });
  } catch (error) {
    if (isKBackupError(error, "Conflict") || isKBackupError(error, "InvalidArgument")) {
      const field = error.field === undefined ? "patch" : `patch.${error.field}`;
      throw new KBackupError("InvalidArgument", `The patch cannot be applied: ${error.message}`, { field, cause: error });
    }
    throw error;
  }
}

/** Throws InvalidArgument (on `field`) when `next` has another apiVersion, kind, name or namespace than `current`. */
export function checkIdentityKept(served: ServedResource, version: string, current: KubeObject, next: KubeObject, field: string): void {
  const requested = apiVersionOf({ group: served.api.group, version });
  if (next.apiVersion !== requested && next.apiVersion !== current.apiVersion) throw invalidArgument(field, "must not change apiVersion");
  if (next.kind !== current.kind) throw invalidArgument(field, "must not change kind");
  if (next.metadata.name !== current.metadata.name) throw invalidArgument(field, "must not change metadata.name");
  if (next.metadata.namespace !== current.metadata.namespace) throw invalidArgument(field, "must not change metadata.namespace");
}

/** True when anything but metadata and status differs: what bumps `metadata.generation`. */
export function specChanged(current: KubeObject, next: KubeObject): boolean {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]);
  for (const key of keys) if (!NOT_SPEC.has(key) && !jsonEqual(current[key], next[key])) return true;
  return false;
}

/** `current` with the status of `patched`: what a write to the status subresource stores. */
export function withStatusOf(current: KubeObject, patched: KubeObject): KubeObject {
  const merged: KubeObject = { ...current };
  if (patched["status"] === undefined) delete merged["status"];
  else merged["status"] = patched["status"];
  return merged;
}
