import {
  abortedError,
  apiVersionOf,
  forEachConcurrently,
  invalidArgument,
  isKBackupError,
  KBackupError,
  objectPath,
  pagedIterator,
  parseApiVersion,
  patchSchemaFromOpenApi,
  silentLogger,
  throwIfAborted,
  type ApiResource,
  type CheckAccessOptions,
  type ClusterClient,
  type ClusterClientCapabilities,
  type ClusterIdentity,
  type CreateKubeObjectOptions,
  type DeleteKubeObjectOptions,
  type DiscoverOptions,
  type ExecOptions,
  type ExecResult,
  type GetKubeObjectOptions,
  type KubeObject,
  type ListKubeObjectsOptions,
  type Logger,
  type ObjectLocation,
  type OperationOptions,
  type Page,
  type PagedAsyncIterableIterator,
  type PatchKubeObjectOptions,
  type PatchSchema,
  type ReplaceKubeObjectOptions,
  type ResourceAccessCheck,
  type ResourceRef,
  type WaitForContainerOptions,
} from "@kbackup/core";
import type { KubeConfig } from "@kubernetes/client-node";
import { discoverAll, discoverGroupVersion, groupVersionPath } from "./api-discovery.js";
import { runCommand } from "./exec-command.js";
import { loadKubeConfig, type KubeConfigSource } from "./load-kube-config.js";
import { KubeTransport } from "./kube-transport.js";
import { watchEvents } from "./watch-events.js";

/** Options of {@link KubernetesCluster}. */
export interface KubernetesClusterOptions {
  /** The kubeconfig; omitted: `$KUBECONFIG`, `~/.kube/config`, else the in-cluster service account. */
  kubeConfig?: KubeConfigSource;
  /** The context to use; defaults to the kubeconfig's current context. */
  context?: string;
  /**
   * What the cluster's identity says beyond its name (region, subscription, resource group, id);
   * `name` defaults to the context's cluster name.
   */
  identity?: Partial<ClusterIdentity>;
  /** Requests a second, on average, client-side; defaults to 100. `Infinity` for no limit. */
  qps?: number;
  /** Requests that may go at once above the average; defaults to 100. */
  burst?: number;
  /** Retries of a request answered 429 or 5xx or whose connection failed; defaults to 5. */
  maxRetries?: number;
  /** The longest wait between two tries, also for a longer `Retry-After`; defaults to 30 s. */
  maxRetryDelayInMs?: number;
  logger?: Logger;
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };
const ACCESS_REVIEWS_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
/** Access reviews in flight at once: enough to answer a few hundred checks quickly, within the client's rate limit. */
const ACCESS_REVIEW_CONCURRENCY = 8;
const PATCH_CONTENT_TYPES = { merge: "application/merge-patch+json", json: "application/json-patch+json", strategic: "application/strategic-merge-patch+json" } as const;

/**
 * A real Kubernetes cluster reached through a kubeconfig, over `@kubernetes/client-node`'s
 * configuration (server, certificate authority, credentials, proxy): the `ClusterClient` port for
 * any conformant API server.
 *
 * Requests are paced client-side by a token bucket (`qps`, `burst`) and retried on 429 and 5xx
 * (honouring `Retry-After`). Kubernetes `Status` errors become KBackupErrors: 404 NotFound, 409
 * AlreadyExists or Conflict, 400 and 422 InvalidArgument, 401 and 403 PermissionDenied, 410
 * Expired, 415 Unsupported, 429 Throttled, 5xx and lost connections Unavailable. Exec runs over
 * WebSocket (`v5.channel.k8s.io`, else `v4.channel.k8s.io`); waiting for a container uses a watch.
 * Arguments are checked (InvalidArgument) and the abort signal honoured before any request.
 */
export class KubernetesCluster implements ClusterClient {
  readonly identity: ClusterIdentity;
  readonly capabilities: ClusterClientCapabilities = { exec: true, strategicMergePatch: true };
  /** The kubeconfig in use, switched to the chosen context. */
  readonly kubeConfig: KubeConfig;

  readonly #transport: KubeTransport;
  readonly #logger: Logger;
  /** Types seen in discovery, by `group/version/resource`: their scope and kind. */
  readonly #types = new Map<string, ApiResource>();
  readonly #openApi = new Map<string, Promise<unknown>>();

  /** Throws `InvalidArgument` for a kubeconfig or context that cannot be used, or bad limits. */
  constructor(options: KubernetesClusterOptions = {}) {
    this.kubeConfig = loadKubeConfig(options.kubeConfig, options.context);
    const contextName = this.kubeConfig.getCurrentContext();
    const clusterName = this.kubeConfig.getContextObject(contextName)?.cluster ?? contextName;
    this.identity = Object.freeze({ ...options.identity, name: options.identity?.name ?? clusterName });
    this.#logger = options.logger ?? silentLogger;
    const maxRetries = options.maxRetries ?? 5;
    if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) throw invalidArgument("maxRetries", `must be a whole number >= 0, got ${maxRetries}`);
    const maxRetryDelayInMs = options.maxRetryDelayInMs ?? 30_000;
    if (!Number.isFinite(maxRetryDelayInMs) || maxRetryDelayInMs < 0) throw invalidArgument("maxRetryDelayInMs", `must be a number >= 0, got ${maxRetryDelayInMs}`);
    this.#transport = new KubeTransport(this.kubeConfig, { qps: options.qps ?? 100, burst: options.burst ?? 100, maxRetries, maxRetryDelayInMs, logger: this.#logger });
  }

  /** Every type at its group's preferred version, from `/api` and `/apis`; a group version that cannot be read is left out with a warning. */
  async discover(options: DiscoverOptions = {}): Promise<ApiResource[]> {
    throwIfAborted(options.abortSignal);
    const resources = await discoverAll(this.#transport, options.abortSignal, this.#logger);
    for (const resource of resources) this.#types.set(typeKey(resource), resource);
    return resources.map((resource) => ({ ...resource, verbs: [...resource.verbs], ...(resource.subresources ? { subresources: [...resource.subresources] } : {}) }));
  }

  /**
   * Objects of one type in pages of `limit` (500 when `byPage` names no size), resumed with the
   * server's `continue` token; an expired token is `Expired`. Items get the list's apiVersion
   * and kind, which the server leaves out of the items of built-in lists.
   */
  list(resource: ResourceRef, options: ListKubeObjectsOptions = {}): PagedAsyncIterableIterator<KubeObject> {
    return pagedIterator(async (token, maxPageSize): Promise<Page<KubeObject>> => {
      const signal = options.abortSignal;
      throwIfAborted(signal);
      if (maxPageSize !== undefined && (!Number.isSafeInteger(maxPageSize) || maxPageSize < 1)) throw invalidArgument("maxPageSize", `must be a whole number >= 1, got ${maxPageSize}`);
      const type = await this.#type(resource, signal);
      const namespace = options.namespace === undefined || options.namespace === "" ? undefined : options.namespace;
      if (namespace !== undefined && !type.namespaced) throw invalidArgument("options.namespace", `${type.resource} are cluster-scoped`);
      const body = await this.#transport.json<{ metadata?: { continue?: string }; items?: KubeObject[] }>({
        method: "GET",
        path: collectionPath(resource, namespace),
        query: {
          limit: String(maxPageSize ?? DEFAULT_PAGE_SIZE),
          continue: token,
          labelSelector: options.labelSelector || undefined,
          fieldSelector: options.fieldSelector || undefined,
        },
        signal,
      });
      const apiVersion = apiVersionOf(resource);
      const items = (body.items ?? []).map((item) => ({ ...item, apiVersion: item.apiVersion ?? apiVersion, kind: item.kind ?? type.kind }));
      const next = body.metadata?.continue;
      return next === undefined || next === "" ? { items } : { items, continuationToken: next };
    });
  }

  /** The object, or `undefined` when the server answers 404 for it; `NotFound` for a type the cluster does not serve. */
  async get(resource: ResourceRef, name: string, options: GetKubeObjectOptions = {}): Promise<KubeObject | undefined> {
    throwIfAborted(options.abortSignal);
    requireName(name);
    const namespace = await this.#namespaceFor(resource, options.namespace, "options.namespace", options.abortSignal);
    try {
      return await this.#transport.json<KubeObject>({ method: "GET", path: itemPath(resource, name, namespace), signal: options.abortSignal });
    } catch (error) {
      if (isMissing(error, name)) return undefined;
      throw error;
    }
  }

  /** POSTs the object to its namespace (or the cluster scope) and returns it as stored; `dryRun` asks the server to write nothing. */
  async create(resource: ResourceRef, object: KubeObject, options: CreateKubeObjectOptions = {}): Promise<KubeObject> {
    throwIfAborted(options.abortSignal);
    requireObject(object);
    const namespace = await this.#namespaceFor(resource, object.metadata.namespace, "object.metadata.namespace", options.abortSignal);
    return this.#transport.json<KubeObject>({
      method: "POST",
      path: collectionPath(resource, namespace),
      query: { dryRun: options.dryRun === true ? "All" : undefined },
      body: object,
      signal: options.abortSignal,
    });
  }

  /** PATCHes with the content type of `patchType`; a strategic patch of a custom resource is `Unsupported` (the server's 415). */
  async patch(resource: ResourceRef, name: string, patch: unknown, options: PatchKubeObjectOptions): Promise<KubeObject> {
    if (typeof options !== "object" || options === null) throw invalidArgument("options", "must give patchType");
    throwIfAborted(options.abortSignal);
    requireName(name);
    const contentType = PATCH_CONTENT_TYPES[options.patchType];
    if (!Object.hasOwn(PATCH_CONTENT_TYPES, options.patchType)) throw invalidArgument("options.patchType", `must be "merge", "json" or "strategic", got ${JSON.stringify(options.patchType)}`);
    const isArray = Array.isArray(patch);
    if (options.patchType === "json" ? !isArray : isArray || typeof patch !== "object" || patch === null) {
      throw invalidArgument("patch", options.patchType === "json" ? "a JSON patch must be an array of operations" : `a ${options.patchType} patch must be a JSON object`);
    }
    const namespace = await this.#namespaceFor(resource, options.namespace, "options.namespace", options.abortSignal);
    return this.#transport.json<KubeObject>({ method: "PATCH", path: itemPath(resource, name, namespace, options.subresource), body: patch, contentType, signal: options.abortSignal });
  }

  /** PUTs the whole object; a stale `metadata.resourceVersion` is `Conflict`. */
  async replace(resource: ResourceRef, object: KubeObject, options: ReplaceKubeObjectOptions = {}): Promise<KubeObject> {
    throwIfAborted(options.abortSignal);
    requireObject(object);
    const name = object.metadata.name;
    if (typeof name !== "string" || name === "") throw invalidArgument("object.metadata.name", "is required");
    const namespace = await this.#namespaceFor(resource, object.metadata.namespace, "object.metadata.namespace", options.abortSignal);
    return this.#transport.json<KubeObject>({ method: "PUT", path: itemPath(resource, name, namespace), body: object, signal: options.abortSignal });
  }

  /** DELETEs with background propagation; `false` when the server answers 404 for the object. */
  async delete(resource: ResourceRef, name: string, options: DeleteKubeObjectOptions = {}): Promise<boolean> {
    throwIfAborted(options.abortSignal);
    requireName(name);
    const namespace = await this.#namespaceFor(resource, options.namespace, "options.namespace", options.abortSignal);
    try {
      await this.#transport.json<unknown>({
        method: "DELETE",
        path: itemPath(resource, name, namespace),
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" },
        signal: options.abortSignal,
      });
      return true;
    } catch (error) {
      if (isMissing(error, name)) return false;
      throw error;
    }
  }

  /**
   * Runs `argv` (as is, no shell) over the `pods/exec` WebSocket. The pod is read first, so that a
   * missing pod or container is `NotFound` and a container that is not running is
   * `PreconditionFailed` before any connection is upgraded.
   */
  async exec(pod: ObjectLocation, container: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    throwIfAborted(options.abortSignal);
    const location = requirePod(pod);
    if (typeof container !== "string" || container === "") throw invalidArgument("container", "must be a non-empty string");
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((arg) => typeof arg !== "string")) throw invalidArgument("argv", "must be a non-empty array of strings");
    const timeoutInMs = options.timeoutInMs ?? 0;
    if (!Number.isFinite(timeoutInMs) || timeoutInMs < 0) throw invalidArgument("options.timeoutInMs", `must be a number >= 0, got ${timeoutInMs}`);
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) throw invalidArgument("options.maxOutputBytes", `must be a whole number >= 0, got ${maxOutputBytes}`);
    const current = await this.#podWithContainer(location, container, options.abortSignal);
    if (!containerMeets(current, container, "running")) {
      throw new KBackupError("PreconditionFailed", `Container "${container}" of pod ${objectPath(location)} is not running.`, { details: { ...location, container } });
    }
    return runCommand(this.kubeConfig, location, container, argv, { timeoutInMs, maxOutputBytes, signal: options.abortSignal });
  }

  /**
   * Reads the pod, then watches it (`fieldSelector=metadata.name=...` from its resourceVersion)
   * until the container runs (or is ready), re-watching when the server ends a watch. `NotFound`
   * for a missing pod or container, also when the pod is deleted meanwhile; `Timeout`; `Aborted`.
   */
  async waitForContainer(pod: ObjectLocation, container: string, options: WaitForContainerOptions): Promise<void> {
    if (typeof options !== "object" || options === null) throw invalidArgument("options", "must give condition");
    throwIfAborted(options.abortSignal);
    const location = requirePod(pod);
    if (typeof container !== "string" || container === "") throw invalidArgument("container", "must be a non-empty string");
    const condition = options.condition;
    if (condition !== "running" && condition !== "ready") throw invalidArgument("options.condition", `must be "running" or "ready", got ${JSON.stringify(condition)}`);
    const timeoutInMs = options.timeoutInMs ?? 0;
    if (!Number.isFinite(timeoutInMs) || timeoutInMs < 0) throw invalidArgument("options.timeoutInMs", `must be a number >= 0, got ${timeoutInMs}`);
    const deadline = new AbortController();
    const timer = timeoutInMs > 0 ? setTimeout(() => deadline.abort(), timeoutInMs) : undefined;
    const signal = options.abortSignal === undefined ? deadline.signal : AbortSignal.any([deadline.signal, options.abortSignal]);
    try {
      for (;;) {
        const current = await this.#podWithContainer(location, container, signal);
        if (containerMeets(current, container, condition)) return;
        const response = await this.#transport.stream({
          method: "GET",
          path: collectionPath(PODS, location.namespace),
          query: { watch: "true", fieldSelector: `metadata.name=${location.name}`, resourceVersion: current.metadata.resourceVersion, timeoutSeconds: "300" },
          signal,
        });
        try {
          for await (const event of watchEvents(response, collectionPath(PODS, location.namespace))) {
            if (event.type === "DELETED") throw new KBackupError("NotFound", `Pod ${objectPath(location)} was deleted while waiting for container "${container}".`);
            if ((event.type === "ADDED" || event.type === "MODIFIED") && containerMeets(event.object, container, condition)) return;
          }
        } catch (error) {
          if (!isKBackupError(error, "Expired")) throw error;
        } finally {
          response.destroy();
        }
      }
    } catch (error) {
      if (options.abortSignal?.aborted) throw abortedError(options.abortSignal);
      if (deadline.signal.aborted) throw new KBackupError("Timeout", `Container "${container}" of pod ${objectPath(location)} was not ${condition} within ${timeoutInMs} ms.`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Asks the API server whether the kubeconfig's user may do each check, with one
   * `SelfSubjectAccessReview` per check (a few at a time), and returns the answers in order. The
   * server answers for the caller itself, so any authenticated user may ask. InvalidArgument for a
   * malformed check; the transport's errors (Unavailable, ...) when the server cannot be asked.
   */
  async checkAccess(checks: readonly ResourceAccessCheck[], options: CheckAccessOptions = {}): Promise<boolean[]> {
    throwIfAborted(options.abortSignal);
    if (!Array.isArray(checks)) throw invalidArgument("checks", "must be an array of { group, resource, verb, subresource?, namespace? }");
    checks.forEach((check, index) => requireAccessCheck(check, `checks[${index}]`));
    const answers = new Array<boolean>(checks.length).fill(false);
    await forEachConcurrently(
      checks,
      ACCESS_REVIEW_CONCURRENCY,
      async (check, index) => {
        const review = await this.#transport.json<{ status?: { allowed?: boolean } }>({
          method: "POST",
          path: ACCESS_REVIEWS_PATH,
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec: {
              resourceAttributes: {
                group: check.group,
                resource: check.resource,
                verb: check.verb,
                ...(check.subresource ? { subresource: check.subresource } : {}),
                ...(check.namespace ? { namespace: check.namespace } : {}),
              },
            },
          },
          signal: options.abortSignal,
        });
        answers[index] = review.status?.allowed === true;
      },
      options.abortSignal,
    );
    return answers;
  }

  /**
   * The cluster's OpenAPI v3 document of one group version (`apps/v1`, `v1`), from the
   * `/openapi/v3` index; `undefined` when the server publishes none for it. Fetched once.
   */
  openApiV3(groupVersion: string, options: OperationOptions = {}): Promise<unknown> {
    throwIfAborted(options.abortSignal);
    let document = this.#openApi.get(groupVersion);
    if (document === undefined) {
      document = this.#fetchOpenApi(groupVersion, options.abortSignal);
      this.#openApi.set(groupVersion, document);
      document.catch(() => this.#openApi.delete(groupVersion));
    }
    return document;
  }

  /**
   * The strategic merge patch metadata of a kind from the cluster's OpenAPI v3 document (custom
   * resources included when their CRD publishes it), or `undefined` when the document has none.
   */
  async patchSchema(apiVersion: string, kind: string, options: OperationOptions = {}): Promise<PatchSchema | undefined> {
    const document = await this.openApiV3(apiVersion, options);
    if (document === undefined) return undefined;
    return patchSchemaFromOpenApi(document, { ...parseApiVersion(apiVersion), kind });
  }

  /** Closes the client's idle connections. */
  close(): void {
    this.#transport.close();
  }

  async #fetchOpenApi(groupVersion: string, signal: AbortSignal | undefined): Promise<unknown> {
    try {
      const index = await this.#transport.json<{ paths?: Record<string, { serverRelativeURL?: string }> }>({ method: "GET", path: "/openapi/v3", signal });
      const key = groupVersion.includes("/") ? `apis/${groupVersion}` : `api/${groupVersion}`;
      const location = index.paths?.[key]?.serverRelativeURL;
      if (location === undefined) return undefined;
      const [path, search] = location.split("?") as [string, string | undefined];
      return await this.#transport.json<unknown>({ method: "GET", path, query: Object.fromEntries(new URLSearchParams(search ?? "")), signal });
    } catch (error) {
      if (isKBackupError(error, "NotFound")) return undefined;
      throw error;
    }
  }

  /** The type a request names, from discovery (one group version read on first use); `NotFound` when not served. */
  async #type(resource: ResourceRef, signal: AbortSignal | undefined): Promise<ApiResource> {
    if (typeof resource !== "object" || resource === null || typeof resource.group !== "string" || typeof resource.version !== "string" || typeof resource.resource !== "string") {
      throw invalidArgument("resource", "must be { group, version, resource } strings");
    }
    const known = this.#types.get(typeKey(resource));
    if (known !== undefined) return known;
    for (const found of (await discoverGroupVersion(this.#transport, resource.group, resource.version, signal)) ?? []) this.#types.set(typeKey(found), found);
    const found = this.#types.get(typeKey(resource));
    if (found === undefined) {
      throw new KBackupError("NotFound", `The cluster serves no resource "${resource.resource}" in ${apiVersionOf(resource)}.`, {
        field: "resource",
        details: { group: resource.group, version: resource.version, resource: resource.resource },
      });
    }
    return found;
  }

  /** The namespace a request goes to: required for namespaced types, refused for cluster-scoped ones. */
  async #namespaceFor(resource: ResourceRef, namespace: string | undefined, field: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    const type = await this.#type(resource, signal);
    if (type.namespaced) {
      if (typeof namespace !== "string" || namespace === "") throw invalidArgument(field, `is required for ${type.resource}`);
      return namespace;
    }
    if (namespace !== undefined && namespace !== "") throw invalidArgument(field, `must not be set: ${type.resource} are cluster-scoped`);
    return undefined;
  }

  async #podWithContainer(location: { namespace: string; name: string }, container: string, signal: AbortSignal | undefined): Promise<KubeObject> {
    const current = await this.get(PODS, location.name, { namespace: location.namespace, ...(signal === undefined ? {} : { abortSignal: signal }) });
    if (current === undefined) throw new KBackupError("NotFound", `Pod ${objectPath(location)} does not exist.`, { details: { ...location } });
    if (!containerNames(current).includes(container)) {
      throw new KBackupError("NotFound", `Pod ${objectPath(location)} has no container "${container}".`, { field: "container", details: { ...location, container } });
    }
    return current;
  }
}

function typeKey(resource: ResourceRef): string {
  return `${resource.group}/${resource.version}/${resource.resource}`;
}

function collectionPath(resource: ResourceRef, namespace: string | undefined): string {
  const root = groupVersionPath(resource.group, resource.version);
  return `${root}${namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`}/${encodeURIComponent(resource.resource)}`;
}

function itemPath(resource: ResourceRef, name: string, namespace: string | undefined, subresource?: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}${subresource === undefined ? "" : `/${encodeURIComponent(subresource)}`}`;
}

/** A 404 about the named object (not about a path the server does not serve). */
function isMissing(error: unknown, name: string): boolean {
  return isKBackupError(error, "NotFound") && error.details?.["name"] === name;
}

function requireName(name: string): void {
  if (typeof name !== "string" || name === "") throw invalidArgument("name", "must be a non-empty string");
}

function requireAccessCheck(check: ResourceAccessCheck, field: string): void {
  if (typeof check !== "object" || check === null) throw invalidArgument(field, "must be { group, resource, verb, subresource?, namespace? }");
  if (typeof check.group !== "string") throw invalidArgument(`${field}.group`, "must be a string");
  if (typeof check.resource !== "string" || check.resource === "") throw invalidArgument(`${field}.resource`, "must be a non-empty string");
  if (typeof check.verb !== "string" || check.verb === "") throw invalidArgument(`${field}.verb`, "must be a non-empty string");
  for (const name of ["subresource", "namespace"] as const) {
    if (check[name] !== undefined && typeof check[name] !== "string") throw invalidArgument(`${field}.${name}`, "must be a string");
  }
}

function requireObject(object: KubeObject): void {
  if (typeof object !== "object" || object === null || typeof object.metadata !== "object" || object.metadata === null) {
    throw invalidArgument("object", "must be a Kubernetes object with metadata");
  }
}

function requirePod(pod: ObjectLocation): { namespace: string; name: string } {
  if (typeof pod !== "object" || pod === null || typeof pod.name !== "string" || pod.name === "") throw invalidArgument("pod.name", "must be a non-empty string");
  if (typeof pod.namespace !== "string" || pod.namespace === "") throw invalidArgument("pod.namespace", "must be a non-empty string");
  return { namespace: pod.namespace, name: pod.name };
}

type ContainerStatus = { name?: string; ready?: boolean; state?: { running?: unknown } };

function containerNames(pod: KubeObject): string[] {
  const spec = (pod["spec"] ?? {}) as Record<string, Array<{ name?: string }> | undefined>;
  return ["containers", "initContainers", "ephemeralContainers"].flatMap((field) => (spec[field] ?? []).map((container) => container.name ?? ""));
}

/** Whether the pod's status shows the container running (and, for `ready`, passing its readiness probe). */
function containerMeets(pod: KubeObject, container: string, condition: "running" | "ready"): boolean {
  const status = (pod["status"] ?? {}) as Record<string, ContainerStatus[] | undefined>;
  const all = [...(status["containerStatuses"] ?? []), ...(status["initContainerStatuses"] ?? []), ...(status["ephemeralContainerStatuses"] ?? [])];
  const found = all.find((entry) => entry.name === container);
  const running = found?.state?.running !== undefined && found.state.running !== null;
  return condition === "running" ? running : running && found?.ready === true;
}
