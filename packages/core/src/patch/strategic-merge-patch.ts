import { KBackupError, invalidArgument } from "../errors.js";
import { patchSchemaFor } from "./builtin-patch-schemas.js";
import { hasOwn, isJsonObject, setOwn, type JsonObject } from "./json-value.js";
import { fieldSchema, mergesLists, replacesMaps, type PatchSchema } from "./patch-schema.js";
import { describe, noMergeKeyError, orderElements, validateSetElementOrder } from "./strategic-merge-order.js";

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ELEMENT_ORDER = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";

/** Options of {@link strategicMergePatch}. */
export interface StrategicMergePatchOptions {
  /** The patch metadata to use; wins over `apiVersion`/`kind`. */
  schema?: PatchSchema;
  /** The object's apiVersion, to find the built-in schema; defaults to `original.apiVersion`. */
  apiVersion?: string;
  /** The object's kind, to find the built-in schema; defaults to `original.kind`. */
  kind?: string;
}

/**
 * Applies a Kubernetes strategic merge patch (what `kubectl patch --type strategic` sends and the
 * API server applies) to `original` and returns the result.
 *
 * Maps merge recursively and `null` deletes a key. A list whose field has the `merge` strategy is
 * merged: lists of objects element by element by the field's merge key, lists of primitives as a
 * set; other lists are replaced. Directives: `$patch: replace | delete` in a map (`merge`, the
 * default, is also accepted there), `$patch: delete | replace` in a list element,
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` and `$retainKeys`. Elements end in
 * the order Kubernetes gives: patch elements in patch (or `$setElementOrder`) order, the original's
 * other elements in their original order, a new element placed after the patch element before it.
 * Values taken from the patch where the original has nothing are cleaned of directives and nulls,
 * as the API server's typed decoding would leave them.
 *
 * Neither argument is modified; the result shares untouched subtrees with `original`.
 *
 * @throws KBackupError `Unsupported` when no `schema` is given and apiVersion/kind is not a
 *   built-in kind (custom resources do not support strategic merge patch).
 * @throws KBackupError `InvalidArgument` naming the patch path, with a message close to
 *   Kubernetes', for a list element without its merge key, a `$setElementOrder` list that does not
 *   match the patch list, an unknown `$patch` value, `$patch: merge` in a list, a directive of the
 *   wrong type, a `$retainKeys` list missing a patched field, lists of lists or of mixed types.
 */
export function strategicMergePatch(original: object, patch: object, options: StrategicMergePatchOptions = {}): object {
  if (!isJsonObject(original)) throw invalidArgument("original", "must be a JSON object");
  if (!isJsonObject(patch)) throw invalidArgument("patch", "must be a JSON object");
  return mergeMap(original, patch, options.schema ?? builtInSchema(original, options), "patch");
}

function builtInSchema(original: JsonObject, options: StrategicMergePatchOptions): PatchSchema {
  const apiVersion = options.apiVersion ?? original["apiVersion"];
  const kind = options.kind ?? original["kind"];
  const schema = typeof apiVersion === "string" && typeof kind === "string" ? patchSchemaFor(apiVersion, kind) : undefined;
  if (schema === undefined) {
    throw new KBackupError("Unsupported", "strategic merge patch is not supported for custom resources; use a merge patch", {
      details: { apiVersion, kind },
    });
  }
  return schema;
}

function isDirectiveKey(key: string): boolean {
  return key.charCodeAt(0) === 36 /* $ */ && (key === PATCH || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST));
}

/** The field a `<prefix>/<field>` directive key names. */
function directiveTarget(key: string, prefix: string, path: string): string {
  if (key.length <= prefix.length + 1 || key[prefix.length] !== "/") {
    const what = prefix === SET_ELEMENT_ORDER ? "setElementOrder list" : "primitive list";
    throw invalidArgument(`${path}.${key}`, `invalid patch format of ${what}: expected "${prefix}/<field>"`);
  }
  return key.slice(prefix.length + 1);
}

/** Merges a patch map into an original map (absent when the patch adds the map). */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: PatchSchema | undefined, path: string): JsonObject {
  if (hasOwn(patch, PATCH)) {
    const directive = patch[PATCH];
    if (directive === "delete") return {};
    if (directive === "replace") return mergeMap(undefined, withoutKey(patch, PATCH), schema, path);
    // The API server rejects an explicit `$patch: merge` in a map; it is the documented default, so it is accepted here.
    if (directive !== "merge") throw invalidArgument(`${path}.${PATCH}`, `unknown patch type: ${describe(directive)} in map: ${describe(patch)}`);
  }
  const result: JsonObject = original === undefined ? {} : { ...original };
  if (hasOwn(patch, RETAIN_KEYS)) applyRetainKeys(result, patch, path);

  const keys = Object.keys(patch);
  let ordered: Set<string> | undefined;
  let deletions: string[] | undefined;
  for (const key of keys) {
    if (key.charCodeAt(0) !== 36 /* $ */) continue;
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      const target = directiveTarget(key, SET_ELEMENT_ORDER, path);
      applySetElementOrder(result, patch, key, target, fieldSchema(schema, target), `${path}.${target}`);
      (ordered ??= new Set()).add(target);
    } else if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      (deletions ??= []).push(key);
    }
  }
  for (const key of keys) {
    if (isDirectiveKey(key) || ordered?.has(key)) continue;
    mergeField(result, key, patch[key], fieldSchema(schema, key), `${path}.${key}`);
  }
  // Deletions go last so that they also apply to elements the same patch merged in.
  if (deletions !== undefined) {
    for (const key of deletions) deleteFromPrimitiveList(result, patch, key, directiveTarget(key, DELETE_FROM_PRIMITIVE_LIST, path), path);
  }
  return result;
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

function mergeField(result: JsonObject, key: string, value: unknown, schema: PatchSchema | undefined, path: string): void {
  if (value === null) {
    delete result[key];
    return;
  }
  const current = hasOwn(result, key) ? result[key] : undefined;
  let merged: unknown;
  if (isJsonObject(value) && isJsonObject(current) && !replacesMaps(schema)) merged = mergeMap(current, value, schema, path);
  else if (Array.isArray(value) && Array.isArray(current) && mergesLists(schema)) merged = mergeList(current, value, schema, path);
  else merged = addValue(value, schema, path);
  setOwn(result, key, merged);
}

/**
 * A value taken from the patch where the original has nothing to merge with: maps are merged into
 * nothing (so their directives apply and their nulls go), list elements that are `$patch`
 * directives are dropped.
 */
function addValue(value: unknown, schema: PatchSchema | undefined, path: string): unknown {
  if (isJsonObject(value)) return mergeMap(undefined, value, schema, path);
  if (Array.isArray(value)) return addList(value, schema?.items, path);
  return value;
}

function addList(list: readonly unknown[], items: PatchSchema | undefined, path: string): unknown[] {
  const result: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    const element = list[i];
    if (isJsonObject(element) && hasOwn(element, PATCH)) {
      listElementDirective(element, `${path}[${i}]`);
      continue;
    }
    result.push(addValue(element, items, `${path}[${i}]`));
  }
  return result;
}

/** Reads the `$patch` of a list element: `delete` or `replace`. */
function listElementDirective(element: JsonObject, path: string): "delete" | "replace" {
  const directive = element[PATCH];
  if (directive === "delete" || directive === "replace") return directive;
  if (directive === "merge") throw invalidArgument(`${path}.${PATCH}`, "merging lists cannot yet be specified in the patch");
  throw invalidArgument(`${path}.${PATCH}`, `unknown patch type: ${describe(directive)} in map: ${describe(element)}`);
}

type ElementKind = "object" | "string" | "number" | "boolean" | "null";

/** The one kind of element of the given lists; undefined when they are all empty. */
function elementKind(lists: ReadonlyArray<readonly unknown[]>, path: string): ElementKind | undefined {
  let kind: ElementKind | undefined;
  for (const list of lists) {
    for (const element of list) {
      if (Array.isArray(element)) throw invalidArgument(path, "lists of lists are not supported");
      const current = (element === null ? "null" : typeof element) as ElementKind;
      if (kind === undefined) kind = current;
      else if (kind !== current) throw invalidArgument(path, `list element types are not identical: ${describe(lists)}`);
    }
  }
  return kind;
}

/** Merges a patch list into an original list of a field with the `merge` strategy. */
function mergeList(original: readonly unknown[], patch: readonly unknown[], schema: PatchSchema | undefined, path: string): unknown[] {
  if (original.length === 0 && patch.length === 0) return original.slice();
  const kind = elementKind([original, patch], path);
  if (kind !== "object") return orderElements([...new Set([...original, ...patch])], patch, original, "", path);

  const mergeKey = schema?.patchMergeKey ?? "";
  if (mergeKey === "") throw invalidArgument(path, "cannot merge lists without merge key");
  const items = schema?.items;
  let base = original;
  let replace = false;
  const elements: Array<{ element: JsonObject; index: number }> = [];
  for (let i = 0; i < patch.length; i++) {
    const element = patch[i] as JsonObject;
    if (!hasOwn(element, PATCH)) {
      elements.push({ element, index: i });
    } else if (listElementDirective(element, `${path}[${i}]`) === "replace") {
      replace = true;
    } else {
      if (!hasOwn(element, mergeKey)) throw noMergeKeyError(element, mergeKey, `${path}[${i}]`);
      const doomed = element[mergeKey];
      base = base.filter((candidate) => !(hasOwn(candidate as JsonObject, mergeKey) && (candidate as JsonObject)[mergeKey] === doomed));
    }
  }
  if (replace) {
    const replaced = elements.map(({ element, index }) => addValue(element, items, `${path}[${index}]`));
    return orderElements(replaced, [], replaced, mergeKey, path);
  }

  const merged = base.slice();
  const patchElements: JsonObject[] = [];
  for (const { element, index } of elements) {
    if (!hasOwn(element, mergeKey)) throw noMergeKeyError(element, mergeKey, `${path}[${index}]`);
    const key = element[mergeKey];
    const at = merged.findIndex((candidate) => hasOwn(candidate as JsonObject, mergeKey) && (candidate as JsonObject)[mergeKey] === key);
    const elementPath = `${path}[${index}]`;
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, element, items, elementPath);
    else merged.push(addValue(element, items, elementPath));
    patchElements.push(element);
  }
  return orderElements(merged, patchElements, base, mergeKey, path);
}

function applyRetainKeys(result: JsonObject, patch: JsonObject, path: string): void {
  const field = `${path}.${RETAIN_KEYS}`;
  const retained = patch[RETAIN_KEYS];
  if (!Array.isArray(retained)) throw invalidArgument(field, "invalid patch format of retainKeys: expected a list of field names");
  const keep = new Set<unknown>(retained);
  for (const key of Object.keys(patch)) {
    if (isDirectiveKey(key) || patch[key] === null) continue;
    if (!keep.has(key)) throw invalidArgument(field, `invalid patch format of retainKeys: the patch sets "${key}", which is not in the list`);
  }
  for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
}

function applySetElementOrder(result: JsonObject, patch: JsonObject, key: string, target: string, schema: PatchSchema | undefined, path: string): void {
  const field = path.slice(0, path.length - target.length) + key;
  const order = patch[key];
  if (!Array.isArray(order)) throw invalidArgument(field, `invalid patch format of setElementOrder list: expected a list, but received ${describe(order)}`);
  const current = hasOwn(result, target) ? result[target] : undefined;
  const patchList = hasOwn(patch, target) ? patch[target] : undefined;
  if (current !== undefined && current !== null && !Array.isArray(current)) throw invalidArgument(path, `expected a list, but the original has ${describe(current)}`);
  if (patchList !== undefined && !Array.isArray(patchList)) throw invalidArgument(path, `expected a list next to ${key}, but received ${describe(patchList)}`);
  const originalList = Array.isArray(current) ? current : undefined;
  const mergeKey = schema?.patchMergeKey ?? "";
  validateSetElementOrder(patchList ?? [], order, mergeKey, field);

  let merged: unknown[];
  if (patchList === undefined) {
    if (originalList === undefined) return;
    merged = originalList;
  } else if (originalList === undefined) {
    merged = addList(patchList, schema?.items, path);
  } else {
    merged = mergesLists(schema) ? mergeList(originalList, patchList, schema, path) : addList(patchList, schema?.items, path);
  }
  const keyed = mergeKey !== "" && merged.some(isJsonObject) ? mergeKey : "";
  setOwn(result, target, orderElements(merged, order, originalList ?? [], keyed, path));
}

function deleteFromPrimitiveList(result: JsonObject, patch: JsonObject, key: string, target: string, path: string): void {
  const doomed = patch[key];
  if (!Array.isArray(doomed)) throw invalidArgument(`${path}.${key}`, `invalid patch format of primitive list: expected a list, but received ${describe(doomed)}`);
  const current = hasOwn(result, target) ? result[target] : undefined;
  if (!Array.isArray(current)) return;
  if (elementKind([current, doomed], `${path}.${target}`) === "object") {
    throw invalidArgument(`${path}.${key}`, "invalid patch format of primitive list: the list holds objects");
  }
  const drop = new Set(doomed);
  setOwn(result, target, current.filter((element) => !drop.has(element)));
}
