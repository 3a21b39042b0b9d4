import { KBackupError, invalidArgument } from "../errors.js";
import { parseJsonPointer } from "./json-pointer.js";
import { cloneJson, hasOwn, isJsonObject, jsonEqual, setOwn, type JsonObject } from "./json-value.js";

/** One RFC 6902 JSON Patch operation. Pointers are RFC 6901 (`~0` is `~`, `~1` is `/`, `-` appends). */
export type JsonPatchOperation =
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "replace"; path: string; value: unknown }
  | { op: "move"; from: string; path: string }
  | { op: "copy"; from: string; path: string }
  | { op: "test"; path: string; value: unknown };

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

interface Step {
  index: number;
  op: string;
  path: string;
}

/**
 * Applies an RFC 6902 JSON Patch and returns the patched document.
 *
 * Neither argument is modified. The result shares the subtrees that no operation touched with
 * `document` (structural sharing: only the containers on a changed path are copied); values taken
 * from the operations (`add`, `replace`) and copied subtrees (`copy`) are deep-copied. Treat the
 * result as read-only, or clone it before mutating it, since mutating it may change `document`.
 * Operations apply in order; the patch is all-or-nothing since nothing is written in place.
 *
 * @throws KBackupError `InvalidArgument` for a malformed operation (not an object, unknown `op`,
 *   missing or non-string `path`/`from`, missing `value`, bad JSON Pointer syntax), naming
 *   `operations[i].<field>`.
 * @throws KBackupError `PreconditionFailed` when a `test` operation fails (including a test of a
 *   missing location), with `details: { operationIndex, op: "test", path }`.
 * @throws KBackupError `Conflict` for any other failure to apply (a missing parent or member, an
 *   array index out of range or not a number, a move into its own child), with
 *   `details: { operationIndex, op, path }`.
 */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  if (!Array.isArray(operations)) throw invalidArgument("operations", "must be an array of JSON Patch operations");
  let doc = document;
  for (let index = 0; index < operations.length; index++) doc = applyOperation(doc, operations[index], index);
  return doc;
}

function applyOperation(doc: unknown, operation: unknown, index: number): unknown {
  const field = `operations[${index}]`;
  if (!isJsonObject(operation)) throw invalidArgument(field, "must be an object with an op and a path");
  const op = operation["op"];
  if (typeof op !== "string" || !OPS.has(op)) {
    throw invalidArgument(`${field}.op`, `unknown operation ${JSON.stringify(op)}; expected add, remove, replace, move, copy or test`);
  }
  const path = parseJsonPointer(operation["path"], `${field}.path`);
  const step: Step = { index, op, path: operation["path"] as string };
  const needsValue = op === "add" || op === "replace" || op === "test";
  if (needsValue && !hasOwn(operation, "value")) throw invalidArgument(`${field}.value`, `is required for "${op}"`);
  const value = operation["value"];

  switch (op) {
    case "add":
      return add(doc, path, cloneJson(value), step);
    case "remove":
      return remove(doc, path, step);
    case "replace":
      return replace(doc, path, cloneJson(value), step);
    case "test":
      return test(doc, path, value, step);
    default: {
      const from = parseJsonPointer(operation["from"], `${field}.from`);
      const moved = get(doc, from, step, "from");
      if (op === "copy") return add(doc, path, cloneJson(moved), step);
      if (from.length === path.length && from.every((token, i) => token === path[i])) return doc;
      if (from.length < path.length && from.every((token, i) => token === path[i])) {
        throw conflict(step, `cannot move "${operation["from"] as string}" into its own child "${step.path}"`);
      }
      return add(remove(doc, from, step), path, moved, step);
    }
  }
}

function conflict(step: Step, message: string): KBackupError {
  return new KBackupError("Conflict", `operations[${step.index}] (${step.op} "${step.path}"): ${message}`, {
    field: `operations[${step.index}].path`,
    details: { operationIndex: step.index, op: step.op, path: step.path },
  });
}

/** The array index a token names; `allowEnd` accepts `length` and `-` (the append position of `add`). */
function arrayIndex(array: readonly unknown[], token: string, allowEnd: boolean, step: Step): number {
  if (token === "-" && allowEnd) return array.length;
  if (!ARRAY_INDEX.test(token)) throw conflict(step, `"${token}" is not an array index`);
  const position = Number(token);
  if (position > array.length || (position === array.length && !allowEnd)) {
    throw conflict(step, `index ${position} is out of range for an array of ${array.length} items`);
  }
  return position;
}

function child(container: unknown, token: string, step: Step): unknown {
  if (Array.isArray(container)) return container[arrayIndex(container, token, false, step)];
  if (isJsonObject(container) && hasOwn(container, token)) return container[token];
  throw conflict(step, `"${token}" does not exist`);
}

function get(doc: unknown, tokens: readonly string[], step: Step, what: "path" | "from"): unknown {
  let node = doc;
  for (const token of tokens) {
    try {
      node = child(node, token, step);
    } catch (error) {
      if (what === "from") throw conflict(step, `"from" location does not exist`);
      throw error;
    }
  }
  return node;
}

/**
 * Rebuilds `doc` with the container at `tokens[0..-1]` replaced by `edit(copyOfThatContainer, lastToken)`,
 * copying only the containers on the path.
 */
function updateParent(doc: unknown, tokens: readonly string[], step: Step, edit: (parent: unknown[] | JsonObject, last: string) => void): unknown {
  const rebuild = (node: unknown, depth: number): unknown => {
    if (depth === tokens.length - 1) {
      if (Array.isArray(node)) {
        const copy = node.slice();
        edit(copy, tokens[depth] as string);
        return copy;
      }
      if (isJsonObject(node)) {
        const copy = { ...node };
        edit(copy, tokens[depth] as string);
        return copy;
      }
      throw conflict(step, "the parent location is not an object or array");
    }
    const token = tokens[depth] as string;
    const next = rebuild(child(node, token, step), depth + 1);
    if (Array.isArray(node)) {
      const copy = node.slice();
      copy[Number(token)] = next;
      return copy;
    }
    const copy = { ...(node as JsonObject) };
    setOwn(copy, token, next);
    return copy;
  };
  return rebuild(doc, 0);
}

function add(doc: unknown, tokens: readonly string[], value: unknown, step: Step): unknown {
  if (tokens.length === 0) return value;
  return updateParent(doc, tokens, step, (parent, last) => {
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, step), 0, value);
    else setOwn(parent, last, value);
  });
}

function remove(doc: unknown, tokens: readonly string[], step: Step): unknown {
  if (tokens.length === 0) throw conflict(step, "cannot remove the whole document");
  return updateParent(doc, tokens, step, (parent, last) => {
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, step), 1);
    else if (hasOwn(parent, last)) delete parent[last];
    else throw conflict(step, `"${last}" does not exist`);
  });
}

function replace(doc: unknown, tokens: readonly string[], value: unknown, step: Step): unknown {
  if (tokens.length === 0) return value;
  return updateParent(doc, tokens, step, (parent, last) => {
    if (Array.isArray(parent)) parent[arrayIndex(parent, last, false, step)] = value;
    else if (hasOwn(parent, last)) setOwn(parent, last, value);
    else throw conflict(step, `"${last}" does not exist`);
  });
}

function test(doc: unknown, tokens: readonly string[], expected: unknown, step: Step): unknown {
  let actual: unknown;
  let found = true;
  try {
    actual = get(doc, tokens, step, "path");
  } catch {
    found = false;
  }
  if (!found || !jsonEqual(actual, expected)) {
    throw new KBackupError(
      "PreconditionFailed",
      `operations[${step.index}] (test "${step.path}"): ${found ? "the value differs from the expected value" : "the location does not exist"}`,
      { field: `operations[${step.index}].value`, details: { operationIndex: step.index, op: "test", path: step.path } },
    );
  }
  return doc;
}
