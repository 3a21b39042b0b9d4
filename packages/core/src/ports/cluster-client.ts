import type { ApiResource, KubeObject, ObjectLocation, ResourceRef } from "../kube/types.js";
import type { PagedAsyncIterableIterator } from "../util/paged.js";
import type { OperationOptions } from "./options.js";

/** Who a cluster is: the facts restore rules (same region, paired region, subscription) are judged on. */
export interface ClusterIdentity {
  /** A stable name of the cluster, for example the AKS cluster name or the kubeconfig context. */
  name: string;
  /** The cluster's region (`westeurope`), if known. */
  region?: string;
  /** The Azure subscription id, or the account that owns the cluster on another cloud. */
  subscriptionId?: string;
  resourceGroup?: string;
  /** The ARM id or any other unique id of the cluster. */
  id?: string;
}

/** What a cluster client can do beyond the required methods. */
export interface ClusterClientCapabilities {
  /** `exec` runs commands in containers. */
  exec: boolean;
  /** `patch` accepts `strategic` patches (for the built-in kinds). */
  strategicMergePatch: boolean;
}

/** Options of {@link ClusterClient.discover}. */
export interface DiscoverOptions extends OperationOptions {}

/** Options of {@link ClusterClient.list}. */
export interface ListKubeObjectsOptions extends OperationOptions {
  /** List one namespace only; omitted lists all namespaces (or the cluster-scoped objects). */
  namespace?: string;
  /** A Kubernetes label selector string, such as `app=web,tier!=cache`. */
  labelSelector?: string;
  /** A field selector on `metadata.name` or `metadata.namespace`. */
  fieldSelector?: string;
}

/** Options of {@link ClusterClient.get}. */
export interface GetKubeObjectOptions extends OperationOptions {
  /** The object's namespace; omitted for a cluster-scoped object. */
  namespace?: string;
}

/** Options of {@link ClusterClient.create}. */
export interface CreateKubeObjectOptions extends OperationOptions {
  /** Server-side dry run: validate, write nothing. */
  dryRun?: boolean;
}

/** How {@link ClusterClient.patch} reads its patch (see {@link PatchKubeObjectOptions.patchType}). */
export type PatchType = "merge" | "json" | "strategic";

/** Options of {@link ClusterClient.patch}. */
export interface PatchKubeObjectOptions extends OperationOptions {
  /** The object's namespace; omitted for a cluster-scoped object. */
  namespace?: string;
  /** `merge`: RFC 7396; `json`: RFC 6902 (the patch is an array of operations); `strategic`: Kubernetes' strategic merge patch. */
  patchType: PatchType;
  /** Patch the named subresource (`status`) instead of the object. */
  subresource?: string;
}

/** Options of {@link ClusterClient.replace}. */
export interface ReplaceKubeObjectOptions extends OperationOptions {}

/** Options of {@link ClusterClient.delete}. */
export interface DeleteKubeObjectOptions extends OperationOptions {
  /** The object's namespace; omitted for a cluster-scoped object. */
  namespace?: string;
}

/** Options of {@link ClusterClient.exec}. */
export interface ExecOptions extends OperationOptions {
  /** The command is killed and the call fails with code Timeout after this long. */
  timeoutInMs?: number;
  /** Bytes kept of stdout and of stderr each (the last ones); defaults to 64 KiB. */
  maxOutputBytes?: number;
}

/**
 * One question to {@link ClusterClient.checkAccess}: may this client's identity do `verb` on a
 * resource type, in one namespace or everywhere? These are the fields of a Kubernetes
 * `SelfSubjectAccessReview`'s `resourceAttributes`; exec into a pod is `create` on `pods`,
 * subresource `exec`.
 */
export interface ResourceAccessCheck {
  /** The API group, "" for the core group. */
  group: string;
  /** The plural resource name: `deployments`. */
  resource: string;
  /** A subresource, such as `exec` or `status`. */
  subresource?: string;
  /** get, list, watch, create, patch, update, delete, ... */
  verb: string;
  /** The namespace asked about; omitted: every namespace (for namespaced types) or the cluster scope. */
  namespace?: string;
}

/** Options of {@link ClusterClient.checkAccess}. */
export interface CheckAccessOptions extends OperationOptions {}

/** How a command ended. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link ClusterClient.waitForContainer}. */
export interface WaitForContainerOptions extends OperationOptions {
  /** `running`: the container has started; `ready`: it also passes its readiness probe. */
  condition: "running" | "ready";
  /** Fail with code Timeout after this long; 0 or omitted waits without limit. */
  timeoutInMs?: number;
}

/**
 * One Kubernetes cluster, as kbackup needs it.
 *
 * Contract, enforced by `clusterClientConformance` in `@kbackup/testing`:
 * - Errors are `KBackupError`s: a missing object is `NotFound` (except from `get`, which returns
 *   `undefined`), a name taken is `AlreadyExists`, a stale `resourceVersion` is `Conflict`, a
 *   refused credential is `PermissionDenied`, HTTP 429 is `Throttled`, 5xx or a lost connection is
 *   `Unavailable`, an expired list continuation token is `Expired`, bad input is `InvalidArgument`.
 * - Objects returned are fresh copies: changing them changes nothing in the cluster.
 * - Every method honours `abortSignal`, failing with `Aborted`.
 */
export interface ClusterClient {
  readonly identity: ClusterIdentity;
  readonly capabilities: ClusterClientCapabilities;

  /**
   * Every resource type the API serves, at each group's preferred version, without subresources
   * (those are listed on their parent's `subresources`). Custom resource types appear once their
   * CRD is established.
   */
  discover(options?: DiscoverOptions): Promise<ApiResource[]>;

  /**
   * Objects of one resource type, in pages (`byPage({ maxPageSize })` maps to the API's `limit`).
   * Order is stable within a list: by namespace, then name. A continuation token older than the
   * server keeps fails with `Expired`; the caller restarts the list.
   */
  list(resource: ResourceRef, options?: ListKubeObjectsOptions): PagedAsyncIterableIterator<KubeObject>;

  /** One object, or `undefined` when it does not exist. */
  get(resource: ResourceRef, name: string, options?: GetKubeObjectOptions): Promise<KubeObject | undefined>;

  /**
   * Creates the object in `object.metadata.namespace` (for namespaced kinds) and returns it as
   * stored, with the server's fields set (uid, resourceVersion, creationTimestamp, generation).
   * `AlreadyExists` if the name is taken; `NotFound` if the namespace does not exist.
   */
  create(resource: ResourceRef, object: KubeObject, options?: CreateKubeObjectOptions): Promise<KubeObject>;

  /**
   * Patches one object and returns it as stored. A patch that names `metadata.resourceVersion`
   * fails with `Conflict` if the object has changed since. `NotFound` if it does not exist.
   * A strategic patch on a kind without patch metadata (custom resources) is `Unsupported`.
   */
  patch(resource: ResourceRef, name: string, patch: unknown, options: PatchKubeObjectOptions): Promise<KubeObject>;

  /** Replaces the whole object (PUT). `Conflict` if `metadata.resourceVersion` is stale. */
  replace(resource: ResourceRef, object: KubeObject, options?: ReplaceKubeObjectOptions): Promise<KubeObject>;

  /** Deletes one object. Idempotent: `false` when there was nothing to delete. */
  delete(resource: ResourceRef, name: string, options?: DeleteKubeObjectOptions): Promise<boolean>;

  /**
   * Runs `argv` in a container of a pod, never through a shell, and returns its exit code and
   * output (a non-zero exit code is a result, not an error). `NotFound` for a missing pod or
   * container; `Timeout` after `timeoutInMs`, the command being stopped; `Unsupported` when the
   * client cannot exec (`capabilities.exec` false).
   */
  exec(pod: ObjectLocation, container: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;

  /** Resolves once the container is running (or ready). `Timeout`, `NotFound` otherwise. */
  waitForContainer(pod: ObjectLocation, container: string, options: WaitForContainerOptions): Promise<void>;

  /**
   * Optional: whether the client's identity may do each of `checks`, in the same order, without
   * doing any of them (Kubernetes: one `SelfSubjectAccessReview` each). A client without it cannot
   * say in advance; callers then learn of missing permissions when an operation is refused
   * (`PermissionDenied`). Throws only when the cluster cannot be asked at all (`Unavailable`, ...).
   */
  checkAccess?(checks: readonly ResourceAccessCheck[], options?: CheckAccessOptions): Promise<boolean[]>;
}
