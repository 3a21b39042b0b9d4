import type { KubeObject } from "@kbackup/core";

/** The key of an object in its table; `\0` sorts before any name character, so keys sort by namespace, then name. */
export function tableKey(namespace: string, name: string): string {
  return `${namespace}\0${name}`;
}

/**
 * The stored objects of one resource type. Objects are never changed once stored (a write stores
 * a new object), so the sorted view handed to a list can be shared without copying.
 */
export class ObjectTable {
  readonly #byKey = new Map<string, KubeObject>();
  #sorted: readonly KubeObject[] | undefined;

  get size(): number {
    return this.#byKey.size;
  }

  /** The object, or `undefined`. Cluster-scoped objects have namespace "". */
  get(namespace: string, name: string): KubeObject | undefined {
    return this.#byKey.get(tableKey(namespace, name));
  }

  /** The object stored under a {@link tableKey}, or `undefined`. */
  getByKey(key: string): KubeObject | undefined {
    return this.#byKey.get(key);
  }

  /**
   * Stores `object` (which must not be changed afterwards) in place of any object of the same
   * name; `key` saves computing its {@link tableKey} again.
   */
  set(object: KubeObject, key = tableKey(object.metadata.namespace ?? "", object.metadata.name ?? "")): void {
    this.#byKey.set(key, object);
    this.#sorted = undefined;
  }

  /** Every object, in no particular order. */
  values(): IterableIterator<KubeObject> {
    return this.#byKey.values();
  }

  /** Removes the object; false when there was none. */
  delete(namespace: string, name: string): boolean {
    const deleted = this.#byKey.delete(tableKey(namespace, name));
    if (deleted) this.#sorted = undefined;
    return deleted;
  }

  /**
   * Every object, by namespace then name, as an array that is never changed afterwards: a write
   * makes the next call build a new one, so a list can keep this one as its snapshot.
   */
  sorted(): readonly KubeObject[] {
    if (this.#sorted === undefined) {
      const keys = Array.from(this.#byKey.keys()).sort();
      this.#sorted = keys.map((key) => this.#byKey.get(key) as KubeObject);
    }
    return this.#sorted;
  }

  /** The slice `[start, end)` of `sorted()` that holds the objects of one namespace. */
  namespaceRange(namespace: string): { start: number; end: number } {
    const sorted = this.sorted();
    const start = lowerBound(sorted, (object) => (object.metadata.namespace ?? "") < namespace);
    const end = lowerBound(sorted, (object) => (object.metadata.namespace ?? "") <= namespace);
    return { start, end };
  }
}

/** The first index at which `before` turns false, for a predicate that is true then false along the array. */
function lowerBound(items: readonly KubeObject[], before: (object: KubeObject) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(items[middle] as KubeObject)) low = middle + 1;
    else high = middle;
  }
  return low;
}
