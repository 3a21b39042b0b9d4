import { cloneJson, hasOwn, isJsonObject, setOwn, type JsonObject } from "./json-value.js";

/**
 * Applies an RFC 7396 JSON Merge Patch: an object patch merges into the target member by member
 * (a `null` member deletes the target's member, an object member merges recursively, anything else
 * replaces it); a non-object patch (array, string, number, boolean, null) replaces the target whole.
 *
 * Neither argument is modified. The result shares untouched subtrees with `target`; values taken
 * from `patch` are copied. Never throws for JSON input.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else {
      setOwn(result, key, applyMergePatch(hasOwn(result, key) ? result[key] : undefined, value));
    }
  }
  return result;
}
