// A small adapter: an ObjectStore that keeps every key under a prefix of another store, so that
// several tenants (or vaults, or test runs) share one bucket without seeing each other's objects.
// Its conformance test, prefixed-object-store.test.ts, is how an adapter proves it keeps the
// ObjectStore contract: see docs/adapters.md.
import {
  assertValidObjectKey,
  assertValidPageSize,
  invalidArgument,
  pagedIterator,
  throwIfAborted,
  type DeleteStoredObjectOptions,
  type GetStoredObjectOptions,
  type ListStoredObjectsOptions,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type OperationOptions,
  type PagedAsyncIterableIterator,
  type PutStoredObjectOptions,
  type StoredObject,
  type StoredObjectStream,
} from "@kbackup/core";

/**
 * The objects of `inner` whose keys start with `prefix`, under the rest of their keys. What the
 * inner store guarantees (atomic puts, conditional writes, ranges, paging) holds here too, so the
 * capabilities are the inner store's.
 */
export class PrefixedObjectStore implements ObjectStore {
  readonly capabilities: ObjectStoreCapabilities;
  readonly #inner: ObjectStore;
  readonly #prefix: string;

  /** `prefix` is one or more key segments, such as `tenants/blue`. Throws InvalidArgument for a bad one. */
  constructor(inner: ObjectStore, prefix: string) {
    assertValidObjectKey(prefix, "prefix");
    this.#inner = inner;
    this.#prefix = `${prefix}/`;
    this.capabilities = { ...inner.capabilities, secondaryRead: false };
  }

  put(key: string, body: ObjectBody, options?: PutStoredObjectOptions): Promise<ObjectInfo> {
    return this.#call(key, options, async () => this.#outer(await this.#inner.put(this.#prefix + key, body, options)));
  }

  get(key: string, options?: GetStoredObjectOptions): Promise<StoredObject | undefined> {
    return this.#call(key, options, async () => {
      const object = await this.#inner.get(this.#prefix + key, options);
      return object && { info: this.#outer(object.info), body: object.body };
    });
  }

  getStream(key: string, options?: GetStoredObjectOptions): Promise<StoredObjectStream | undefined> {
    return this.#call(key, options, async () => {
      const object = await this.#inner.getStream(this.#prefix + key, options);
      return object && { info: this.#outer(object.info), body: object.body };
    });
  }

  head(key: string, options?: OperationOptions): Promise<ObjectInfo | undefined> {
    return this.#call(key, options, async () => {
      const info = await this.#inner.head(this.#prefix + key, options);
      return info && this.#outer(info);
    });
  }

  /** Pages of the inner store's list, keys cut back to what this store calls them; its tokens pass through. */
  list(prefix: string, options: ListStoredObjectsOptions = {}): PagedAsyncIterableIterator<ObjectInfo> {
    return pagedIterator(async (continuationToken, maxPageSize) => {
      throwIfAborted(options.abortSignal);
      if (typeof prefix !== "string") throw invalidArgument("prefix", "must be a string");
      assertValidPageSize(maxPageSize);
      const pages = this.#inner.list(this.#prefix + prefix, options).byPage({ continuationToken, maxPageSize });
      const next = await pages.next();
      if (next.done) return { items: [] };
      const items = next.value.items.map((info) => this.#outer(info));
      return next.value.continuationToken ? { items, continuationToken: next.value.continuationToken } : { items };
    });
  }

  delete(key: string, options?: DeleteStoredObjectOptions): Promise<boolean> {
    return this.#call(key, options, () => this.#inner.delete(this.#prefix + key, options));
  }

  /** Checks the caller's key (the inner store would name the prefixed one in its errors), then calls. */
  async #call<T>(key: string, options: OperationOptions | undefined, operation: () => Promise<T>): Promise<T> {
    throwIfAborted(options?.abortSignal);
    assertValidObjectKey(key);
    return operation();
  }

  #outer(info: ObjectInfo): ObjectInfo {
    return { ...info, key: info.key.slice(this.#prefix.length) };
  }
}
