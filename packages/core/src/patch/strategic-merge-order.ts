import { invalidArgument, type KBackupError } from "../errors.js";
import { hasOwn, isJsonObject } from "./json-value.js";

/** A short rendering of a value for error messages. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** The error Kubernetes gives for a list element without the list's merge key. */
export function noMergeKeyError(element: unknown, mergeKey: string, field: string): KBackupError {
  return invalidArgument(field, `map: ${describe(element)} does not contain declared merge key: ${mergeKey}`);
}

/**
 * The identity of a list element for ordering: its merge key value for lists of objects merged by
 * key, the element itself for lists of primitives.
 * @throws InvalidArgument when an object element lacks the merge key.
 */
function identityOf(element: unknown, mergeKey: string, field: string): unknown {
  if (mergeKey === "" || !isJsonObject(element)) return element;
  if (!hasOwn(element, mergeKey)) throw noMergeKeyError(element, mergeKey, field);
  return element[mergeKey];
}

function positions(list: readonly unknown[], mergeKey: string, field: string): Map<unknown, number> {
  const byIdentity = new Map<unknown, number>();
  for (let i = 0; i < list.length; i++) {
    const identity = identityOf(list[i], mergeKey, field);
    if (!byIdentity.has(identity)) byIdentity.set(identity, i);
  }
  return byIdentity;
}

function sortBy(items: Array<{ element: unknown; identity: unknown }>, order: Map<unknown, number>): void {
  // Array.prototype.sort is stable; elements missing from the order keep their place after the others.
  items.sort((a, b) => (order.get(a.identity) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.identity) ?? Number.MAX_SAFE_INTEGER));
}

/**
 * Orders a merged list the way Kubernetes does: the elements named by `order` (the patch list, or
 * a `$setElementOrder` list) follow that order; the other elements keep the order they had in
 * `serverOrder` (the original list); the two sequences are then interleaved, an original element
 * going before a patch element only when both were in the original and it came first there. So a
 * new element goes right after the patch element before it, or first when none is.
 * @throws InvalidArgument when an object element lacks the merge key.
 */
export function orderElements(
  merged: readonly unknown[],
  order: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  field: string,
): unknown[] {
  const wanted = positions(order, mergeKey, field);
  const server = positions(serverOrder, mergeKey, field);
  const fromPatch: Array<{ element: unknown; identity: unknown }> = [];
  const serverOnly: Array<{ element: unknown; identity: unknown }> = [];
  for (const element of merged) {
    const identity = identityOf(element, mergeKey, field);
    (wanted.has(identity) ? fromPatch : serverOnly).push({ element, identity });
  }
  sortBy(fromPatch, wanted);
  sortBy(serverOnly, server);

  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    const left = serverOnly[i];
    const right = fromPatch[j];
    if (right === undefined) {
      result.push((left as { element: unknown }).element);
      i++;
    } else if (left === undefined) {
      result.push(right.element);
      j++;
    } else {
      const leftAt = server.get(left.identity);
      const rightAt = server.get(right.identity);
      if (leftAt !== undefined && rightAt !== undefined && leftAt < rightAt) {
        result.push(left.element);
        i++;
      } else {
        result.push(right.element);
        j++;
      }
    }
  }
  return result;
}

function sameIdentity(left: unknown, right: unknown, mergeKey: string, field: string): boolean {
  if (mergeKey === "") return left === right;
  if (!isJsonObject(left)) throw invalidArgument(field, `expected a map, but received ${describe(left)}`);
  if (!isJsonObject(right)) throw invalidArgument(field, `expected a map, but received ${describe(right)}`);
  return identityOf(left, mergeKey, field) === identityOf(right, mergeKey, field);
}

/**
 * Checks that the patch list's elements (other than `$patch` directives) appear in the
 * `$setElementOrder` list, in the same relative order, as Kubernetes requires.
 * @throws InvalidArgument naming `field` when they do not.
 */
export function validateSetElementOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string, field: string): void {
  if (patchList.length === 0 || order.length === 0) return;
  let elements = patchList;
  if (mergeKey !== "") {
    for (const element of patchList) {
      if (!isJsonObject(element)) throw invalidArgument(field, `expected a map, but received ${describe(element)}`);
    }
    elements = patchList.filter((element) => (element as Record<string, unknown>)["$patch"] !== "delete");
  }
  let p = 0;
  let s = 0;
  while (p < elements.length && s < order.length) {
    const element = elements[p];
    if (isJsonObject(element) && hasOwn(element, "$patch")) {
      p++;
      continue;
    }
    if (sameIdentity(element, order[s], mergeKey, field)) p++;
    s++;
  }
  if (p < elements.length) {
    throw invalidArgument(field, `the order in patch list ${describe(patchList)} doesn't match $setElementOrder list ${describe(order)}`);
  }
}
