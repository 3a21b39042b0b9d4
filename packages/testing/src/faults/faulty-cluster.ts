import type {
  ApiResource,
  CheckAccessOptions,
  ClusterClient,
  ClusterClientCapabilities,
  ClusterIdentity,
  CreateKubeObjectOptions,
  DeleteKubeObjectOptions,
  DiscoverOptions,
  ExecOptions,
  ExecResult,
  GetKubeObjectOptions,
  KubeObject,
  ListKubeObjectsOptions,
  ObjectLocation,
  PagedAsyncIterableIterator,
  PatchKubeObjectOptions,
  ReplaceKubeObjectOptions,
  ResourceAccessCheck,
  ResourceRef,
  WaitForContainerOptions,
} from "@kbackup/core";
import { FaultInjector, applyFault } from "./fault-injector.js";
import type { FaultPlan, RecordedCall } from "./fault-plan.js";
import { interceptPages } from "./intercept-pages.js";

/** A cluster client that injects the faults of a plan, and records the calls made to it. */
export interface FaultyClusterClient extends ClusterClient {
  /** Every call, in order (each page of a list is one `list` call), with the fault injected, if any. */
  readonly calls: readonly RecordedCall[];
}

/**
 * Wraps `inner` so that the calls matched by `plan` fail, wait or hang (see `FaultAction`; a
 * `cutAfterBytes` fault fails the call with `Unavailable`). Operations are the method names:
 * `discover`, `list`, `get`, `create`, `patch`, `replace`, `delete`, `exec`, `waitForContainer`, and
 * `checkAccess`, which the wrapper has only when `inner` has it (so that a client without it stays
 * one that cannot check permissions in advance).
 * Each page of a list is one `list` call whose `page` says which, so a rule such as
 * `{ operation: "list", when: (call) => call.page === 3, action: { fail: "Expired" } }` breaks
 * page 3 as an expired continuation token (410) would; `Throttled` stands for 429, `Unavailable`
 * for 5xx. Throws `InvalidArgument` for a malformed plan.
 */
export function faultyCluster(inner: ClusterClient, plan: FaultPlan): FaultyClusterClient {
  return new FaultyClusterWrapper(inner, new FaultInjector(plan));
}

class FaultyClusterWrapper implements FaultyClusterClient {
  readonly #inner: ClusterClient;
  readonly #injector: FaultInjector;
  // Declared, not initialised: a field set to undefined would still be an own property.
  declare readonly checkAccess?: (checks: readonly ResourceAccessCheck[], options?: CheckAccessOptions) => Promise<boolean[]>;

  constructor(inner: ClusterClient, injector: FaultInjector) {
    this.#inner = inner;
    this.#injector = injector;
    if (typeof inner.checkAccess === "function") {
      const checkAccess = inner.checkAccess;
      Object.defineProperty(this, "checkAccess", {
        value: async (checks: readonly ResourceAccessCheck[], options?: CheckAccessOptions): Promise<boolean[]> => {
          await this.#fault("checkAccess", [checks, options], options?.abortSignal);
          return checkAccess.call(inner, checks, options);
        },
      });
    }
  }

  get identity(): ClusterIdentity {
    return this.#inner.identity;
  }

  get capabilities(): ClusterClientCapabilities {
    return this.#inner.capabilities;
  }

  get calls(): readonly RecordedCall[] {
    return this.#injector.calls;
  }

  async discover(options?: DiscoverOptions): Promise<ApiResource[]> {
    await this.#fault("discover", [options], options?.abortSignal);
    return this.#inner.discover(options);
  }

  list(resource: ResourceRef, options?: ListKubeObjectsOptions): PagedAsyncIterableIterator<KubeObject> {
    return interceptPages(
      () => this.#inner.list(resource, options),
      (page, settings) => applyFault(this.#injector.enter("list", [resource, options, settings], page), options?.abortSignal),
    );
  }

  async get(resource: ResourceRef, name: string, options?: GetKubeObjectOptions): Promise<KubeObject | undefined> {
    await this.#fault("get", [resource, name, options], options?.abortSignal);
    return this.#inner.get(resource, name, options);
  }

  async create(resource: ResourceRef, object: KubeObject, options?: CreateKubeObjectOptions): Promise<KubeObject> {
    await this.#fault("create", [resource, object, options], options?.abortSignal);
    return this.#inner.create(resource, object, options);
  }

  async patch(resource: ResourceRef, name: string, patch: unknown, options: PatchKubeObjectOptions): Promise<KubeObject> {
    await this.#fault("patch", [resource, name, patch, options], options?.abortSignal);
    return this.#inner.patch(resource, name, patch, options);
  }

  async replace(resource: ResourceRef, object: KubeObject, options?: ReplaceKubeObjectOptions): Promise<KubeObject> {
    await this.#fault("replace", [resource, object, options], options?.abortSignal);
    return this.#inner.replace(resource, object, options);
  }

  async delete(resource: ResourceRef, name: string, options?: DeleteKubeObjectOptions): Promise<boolean> {
    await this.#fault("delete", [resource, name, options], options?.abortSignal);
    return this.#inner.delete(resource, name, options);
  }

  async exec(pod: ObjectLocation, container: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    await this.#fault("exec", [pod, container, argv, options], options?.abortSignal);
    return this.#inner.exec(pod, container, argv, options);
  }

  async waitForContainer(pod: ObjectLocation, container: string, options: WaitForContainerOptions): Promise<void> {
    await this.#fault("waitForContainer", [pod, container, options], options?.abortSignal);
    return this.#inner.waitForContainer(pod, container, options);
  }

  #fault(operation: string, args: readonly unknown[], signal: AbortSignal | undefined): Promise<void> {
    return applyFault(this.#injector.enter(operation, args), signal);
  }
}
