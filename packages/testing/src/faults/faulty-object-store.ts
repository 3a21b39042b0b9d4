import type {
  DeleteStoredObjectOptions,
  GetStoredObjectOptions,
  ListStoredObjectsOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  ObjectStoreCapabilities,
  OperationOptions,
  PagedAsyncIterableIterator,
  PutStoredObjectOptions,
  StoredObject,
  StoredObjectStream,
} from "@kbackup/core";
import { FaultInjector, applyFault, cutAfter } from "./fault-injector.js";
import { interceptPages } from "./intercept-pages.js";
import type { FaultPlan, RecordedCall } from "./fault-plan.js";

/** An object store that injects the faults of a plan, and records the calls made to it. */
export interface FaultyObjectStore extends ObjectStore {
  /** Every call, in order (each page of a list is one `list` call), with the fault injected, if any. */
  readonly calls: readonly RecordedCall[];
}

/**
 * Wraps `inner` so that the calls matched by `plan` fail, wait, hang or have their streamed bodies
 * cut (see `FaultAction`). Operations are `put`, `get`, `getStream`, `head`, `list` (one call per
 * page fetched) and `delete`. Calls no rule fires on go to `inner` unchanged.
 * Throws `InvalidArgument` for a malformed plan.
 */
export function faultyObjectStore(inner: ObjectStore, plan: FaultPlan): FaultyObjectStore {
  return new FaultyObjectStoreWrapper(inner, new FaultInjector(plan));
}

class FaultyObjectStoreWrapper implements FaultyObjectStore {
  readonly #inner: ObjectStore;
  readonly #injector: FaultInjector;

  constructor(inner: ObjectStore, injector: FaultInjector) {
    this.#inner = inner;
    this.#injector = injector;
  }

  get capabilities(): ObjectStoreCapabilities {
    return this.#inner.capabilities;
  }

  get calls(): readonly RecordedCall[] {
    return this.#injector.calls;
  }

  async put(key: string, body: ObjectBody, options?: PutStoredObjectOptions): Promise<ObjectInfo> {
    const call = this.#injector.enter("put", [key, body, options]);
    await applyFault(call, options?.abortSignal, true);
    const fault = call.fault;
    const sent = fault !== undefined && "cutAfterBytes" in fault ? cutAfter(body, fault.cutAfterBytes, call) : body;
    return this.#inner.put(key, sent, options);
  }

  async get(key: string, options?: GetStoredObjectOptions): Promise<StoredObject | undefined> {
    await applyFault(this.#injector.enter("get", [key, options]), options?.abortSignal);
    return this.#inner.get(key, options);
  }

  async getStream(key: string, options?: GetStoredObjectOptions): Promise<StoredObjectStream | undefined> {
    const call = this.#injector.enter("getStream", [key, options]);
    await applyFault(call, options?.abortSignal, true);
    const stream = await this.#inner.getStream(key, options);
    const fault = call.fault;
    if (stream === undefined || fault === undefined || !("cutAfterBytes" in fault)) return stream;
    return { info: stream.info, body: cutAfter(stream.body, fault.cutAfterBytes, call) };
  }

  async head(key: string, options?: OperationOptions): Promise<ObjectInfo | undefined> {
    await applyFault(this.#injector.enter("head", [key, options]), options?.abortSignal);
    return this.#inner.head(key, options);
  }

  list(prefix: string, options?: ListStoredObjectsOptions): PagedAsyncIterableIterator<ObjectInfo> {
    return interceptPages(
      () => this.#inner.list(prefix, options),
      (page, settings) => applyFault(this.#injector.enter("list", [prefix, options, settings], page), options?.abortSignal),
    );
  }

  async delete(key: string, options?: DeleteStoredObjectOptions): Promise<boolean> {
    await applyFault(this.#injector.enter("delete", [key, options]), options?.abortSignal);
    return this.#inner.delete(key, options);
  }
}
