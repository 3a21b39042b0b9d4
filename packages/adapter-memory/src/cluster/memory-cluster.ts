import { randomUUID } from "node:crypto";
import {
  KBackupError,
  abortedError,
  apiVersionOf,
  dns1123LabelProblem,
  invalidArgument,
  isKBackupError,
  objectPath,
  pagedIterator,
  parseApiVersion,
  parseLabelSelector,
  systemClock,
  throwIfAborted,
  type ApiResource,
  type CheckAccessOptions,
  type Clock,
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
  type ObjectLocation,
  type Page,
  type PagedAsyncIterableIterator,
  type PatchKubeObjectOptions,
  type ReplaceKubeObjectOptions,
  type ResourceAccessCheck,
  type ResourceRef,
  type WaitForContainerOptions,
} from "@kbackup/core";
import { ExecHandlers, checkedExecResult, lastBytes, type ExecHandler, type ExecMatch } from "./exec-handlers.js";
import { compileFieldSelector } from "./field-selector.js";
import { isPlainObject, jsonCopy, jsonEqual } from "./json-copy.js";
import { applyKubePatch, checkIdentityKept, specChanged, withStatusOf } from "./kube-patch.js";
import { ListCursors, type ListCursor } from "./list-cursors.js";
import { MemoryDisks } from "./memory-disks.js";
import { ObjectTable, tableKey } from "./object-table.js";
import { generatedName, namingProblem, pendingFinalizers } from "./object-rules.js";
import { checkedAccessCheck, checkedPermissionRules, permissionDenied, permits, type MemoryClusterPermissionRule } from "./permission-rules.js";
import { containerMeets, podContainerNames, podStatus, type PodState } from "./pod-status.js";
import {
  builtinServedResources,
  customResourceDefinitionStatus,
  customServedResource,
  resourceKey,
  validateCustomResourceDefinition,
  type ServedResource,
} from "./served-resource.js";
import { boundPair, canBind, capacityInBytes, csiSource, isBound, provisionedVolume, requestedBytes } from "./volume-provisioning.js";

/** Options of {@link MemoryCluster}. */
export interface MemoryClusterOptions {
  /** Who the cluster says it is; defaults to `{ name: "memory" }`. */
  identity?: ClusterIdentity;
  /**
   * The time every API call takes: one round trip to an API server, slept on the clock before the
   * call does its work (each page of a list is one call). `load` and the test helpers take none.
   * Defaults to 0.
   */
  latencyInMs?: number;
  /** The clock for timestamps, latencies, timeouts and token expiry; defaults to the system clock. */
  clock?: Clock;
  /** How long a list's continuation tokens stay valid, on the clock; defaults to 5 minutes. */
  listTokenTtlInMs?: number;
  /** The time `exec` takes to start a command, on top of `latencyInMs`; defaults to 0. */
  execLatencyInMs?: number;
  /** How long after its creation a pod's containers run and are ready, on the clock; defaults to 0. */
  podStartupDelayInMs?: number;
  /**
   * What the client may do, as RBAC-like rules (see {@link MemoryCluster.setPermissions}); omitted,
   * everything is allowed.
   */
  permissions?: readonly MemoryClusterPermissionRule[];
}

/** A pod or container named by a test helper. */
export interface PodLocation {
  namespace: string;
  name: string;
}

/** The CSI drivers whose volumes have disks in a memory cluster (see {@link MemoryCluster.disks}). */
export const MEMORY_CSI_DRIVERS: readonly string[] = ["disk.csi.azure.com", "file.csi.azure.com"];

const DEFAULT_LIST_TOKEN_TTL_IN_MS = 5 * 60 * 1000;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
const CORE_NAMESPACES = "/namespaces";
const CORE_PODS = "/pods";
const CORE_PVS = "/persistentvolumes";
const CORE_PVCS = "/persistentvolumeclaims";
const STORAGE_CLASSES = "storage.k8s.io/storageclasses";
const CRDS = "apiextensions.k8s.io/customresourcedefinitions";

type Stored = KubeObject;

/**
 * A Kubernetes cluster in memory: the reference `ClusterClient`, and a cluster to unit-test
 * against. It serves the built-in resource types of an AKS cluster (and custom resources once
 * their CRD is created), keeps objects as the API server does (uid, a cluster-wide
 * resourceVersion, generation, creationTimestamp, finalizers, namespace deletion), pages lists
 * from consistent snapshots, runs exec through handlers a test registers, starts pods, binds and
 * dynamically provisions Azure CSI volumes, and keeps their disks' bytes (see {@link disks}).
 * A test can limit what the client may do with RBAC-like rules (see {@link setPermissions}).
 *
 * Objects are never changed once stored (a write stores a new one), so lists share them and
 * every object handed out is a deep copy. Built-in controllers are modelled only as far as
 * backups need: finalizers Kubernetes itself completes (`kubernetes`, `kubernetes.io/...`,
 * `orphan`, `foregroundDeletion`) are completed at once; any other finalizer holds a deleted
 * object (with `deletionTimestamp` set) until an update removes it.
 */
export class MemoryCluster implements ClusterClient {
  readonly identity: ClusterIdentity;
  readonly capabilities: ClusterClientCapabilities = { exec: true, strategicMergePatch: true };
  /** The clock the cluster keeps time by. */
  readonly clock: Clock;
  /** The disks behind PVs on `disk.csi.azure.com` and `file.csi.azure.com`, by volume handle. */
  readonly disks = new MemoryDisks();

  readonly #latencyInMs: number;
  readonly #execLatencyInMs: number;
  readonly #podStartupDelayInMs: number;
  readonly #cursors: ListCursors;
  readonly #execHandlers = new ExecHandlers();
  readonly #tables = new Map<string, ObjectTable>();
  readonly #namespaceCounts = new Map<string, number>();
  /** Pods waiting to start, by `namespace/name`, with the clock time (ms) they start at. */
  readonly #podStarts = new Map<string, number>();
  readonly #podWatchers = new Map<string, Set<() => void>>();
  #resources = new Map<string, ServedResource>();
  #byKind = new Map<string, ServedResource>();
  #resourceVersion = 0;
  #permissions: MemoryClusterPermissionRule[] | undefined;

  constructor(options: MemoryClusterOptions = {}) {
    this.identity = Object.freeze({ ...(options.identity ?? { name: "memory" }) });
    this.clock = options.clock ?? systemClock;
    this.#latencyInMs = nonNegative("latencyInMs", options.latencyInMs ?? 0);
    this.#execLatencyInMs = nonNegative("execLatencyInMs", options.execLatencyInMs ?? 0);
    this.#podStartupDelayInMs = nonNegative("podStartupDelayInMs", options.podStartupDelayInMs ?? 0);
    const ttl = options.listTokenTtlInMs ?? DEFAULT_LIST_TOKEN_TTL_IN_MS;
    if (!Number.isFinite(ttl) || ttl <= 0) throw invalidArgument("listTokenTtlInMs", `must be a number > 0, got ${ttl}`);
    this.#cursors = new ListCursors(this.clock, ttl);
    if (options.permissions !== undefined) this.#permissions = checkedPermissionRules(options.permissions, "permissions");
    this.#refreshResources();
  }

  // ---------------------------------------------------------------- ClusterClient

  /** The built-in resource types and the established custom ones, at their preferred versions. */
  async discover(options: DiscoverOptions = {}): Promise<ApiResource[]> {
    await this.#roundTrip(options.abortSignal);
    return [...this.#resources.values()].map((served) => jsonCopy(served.api));
  }

  /**
   * Objects of one type, by namespace then name, from a snapshot taken at the first page.
   * Failures surface from the first page: `NotFound` for a type the cluster does not serve,
   * `InvalidArgument` for a bad selector, page size or token, `Expired` for a token older than
   * `listTokenTtlInMs`.
   */
  list(resource: ResourceRef, options: ListKubeObjectsOptions = {}): PagedAsyncIterableIterator<KubeObject> {
    return pagedIterator((token, maxPageSize) => this.#listPage(resource, options, token, maxPageSize));
  }

  /** The object, or `undefined`; `NotFound` only for a type the cluster does not serve. */
  async get(resource: ResourceRef, name: string, options: GetKubeObjectOptions = {}): Promise<KubeObject | undefined> {
    throwIfAborted(options.abortSignal);
    const served = this.#resolve(resource);
    const namespace = this.#targetNamespace(served, options.namespace);
    requireName(name);
    this.#authorize("get", served, namespace);
    await this.#roundTrip(options.abortSignal);
    const stored = this.#table(served).get(namespace, name);
    return stored === undefined ? undefined : this.#out(stored, resource.version);
  }

  /**
   * Stores a new object with the server's fields set, as the API server would (a client's uid,
   * resourceVersion and, for types with a status subresource, status are replaced). Throws
   * `InvalidArgument` for a missing or invalid name, a wrong apiVersion or kind, or a namespace
   * that is missing (namespaced types) or given (cluster-scoped ones); `NotFound` when the
   * namespace does not exist; `PermissionDenied` when it is being deleted; `AlreadyExists`.
   */
  async create(resource: ResourceRef, object: KubeObject, options: CreateKubeObjectOptions = {}): Promise<KubeObject> {
    throwIfAborted(options.abortSignal);
    const served = this.#resolve(resource);
    const prepared = this.#prepareNew(served, resource.version, object, "object", false);
    this.#authorize("create", served, prepared.metadata.namespace);
    await this.#roundTrip(options.abortSignal);
    this.#checkNamespace(served, prepared, "object");
    this.#checkNameFree(served, prepared, "object");
    if (options.dryRun === true) return this.#out(prepared, resource.version);
    this.#put(served, prepared);
    this.#afterCreate(served, prepared);
    return this.#out(this.#current(prepared) ?? prepared, resource.version);
  }

  /**
   * Applies a merge, JSON or strategic patch (to `status` only, with `subresource: "status"`).
   * Throws `NotFound` for a missing object, `Conflict` when the patch names a stale
   * `metadata.resourceVersion`, `InvalidArgument` for a malformed patch or one that changes the
   * object's apiVersion, kind, name or namespace, `PreconditionFailed` when a JSON Patch `test`
   * fails, `Unsupported` for a strategic patch of a custom resource or a subresource other than
   * `status`.
   */
  async patch(resource: ResourceRef, name: string, patch: unknown, options: PatchKubeObjectOptions): Promise<KubeObject> {
    if (!isPlainObject(options)) throw invalidArgument("options", "must give patchType");
    throwIfAborted(options.abortSignal);
    const served = this.#resolve(resource);
    const namespace = this.#targetNamespace(served, options.namespace);
    requireName(name);
    const patchType = options.patchType;
    if (patchType !== "merge" && patchType !== "json" && patchType !== "strategic") {
      throw invalidArgument("options.patchType", `must be "merge", "json" or "strategic", got ${JSON.stringify(patchType)}`);
    }
    if (patchType === "json" ? !Array.isArray(patch) : !isPlainObject(patch)) {
      throw invalidArgument("patch", patchType === "json" ? "a JSON patch must be an array of operations" : `a ${patchType} patch must be a JSON object`);
    }
    if (patchType === "strategic" && served.custom) {
      throw new KBackupError("Unsupported", `Strategic merge patch is not supported for custom resources (${served.api.resource}.${served.api.group}); use a merge or JSON patch.`);
    }
    const subresource = options.subresource;
    if (subresource !== undefined && subresource !== "status") {
      if (!(served.api.subresources ?? []).includes(subresource)) {
        throw new KBackupError("NotFound", `${served.api.resource} has no subresource "${subresource}".`, { field: "options.subresource" });
      }
      throw new KBackupError("Unsupported", `Patching the "${subresource}" subresource is not supported by the memory cluster; only "status".`, { field: "options.subresource" });
    }
    if (subresource === "status" && !(served.api.subresources ?? []).includes("status")) {
      throw new KBackupError("NotFound", `${served.api.resource} has no subresource "status".`, { field: "options.subresource" });
    }
    this.#authorize("patch", served, namespace, subresource);
    await this.#roundTrip(options.abortSignal);
    const current = this.#table(served).get(namespace, name);
    if (current === undefined) throw notFound(served, namespace, name);
    const patched = applyKubePatch(current, patch, patchType, resource.version, served);
    if (!isPlainObject(patched) || !isPlainObject(patched["metadata"])) throw invalidArgument("patch", "the patched object must be a JSON object with metadata");
    const next = patched as KubeObject;
    const staleVersion = next.metadata.resourceVersion;
    if (staleVersion !== undefined && staleVersion !== current.metadata.resourceVersion) throw conflict(served, namespace, name);
    checkIdentityKept(served, resource.version, current, next, "patch");
    const merged = subresource === "status" ? withStatusOf(current, next) : this.#withServerStatus(served, current, next);
    return this.#out(this.#update(served, current, merged), resource.version);
  }

  /**
   * Replaces the object. Throws `NotFound` for a missing object, `Conflict` for a stale
   * `metadata.resourceVersion` or another uid; InvalidArgument as `create`. The status of types
   * with a status subresource is kept (change it with a `status` patch).
   */
  async replace(resource: ResourceRef, object: KubeObject, options: ReplaceKubeObjectOptions = {}): Promise<KubeObject> {
    throwIfAborted(options.abortSignal);
    const served = this.#resolve(resource);
    const next = this.#checkedCopy(served, resource.version, object, "object");
    const name = next.metadata.name;
    if (name === undefined) throw invalidArgument("object.metadata.name", "is required");
    const namespace = next.metadata.namespace ?? "";
    this.#authorize("update", served, namespace);
    await this.#roundTrip(options.abortSignal);
    const current = this.#table(served).get(namespace, name);
    if (current === undefined) throw notFound(served, namespace, name);
    const { resourceVersion, uid } = next.metadata;
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) throw conflict(served, namespace, name);
    if (uid !== undefined && uid !== current.metadata.uid) {
      throw new KBackupError("Conflict", `The uid of ${describe(served, namespace, name)} is ${current.metadata.uid}, not ${uid}.`, { field: "object.metadata.uid" });
    }
    if (served.api.kind === "CustomResourceDefinition") validateCustomResourceDefinition(next, "object");
    return this.#out(this.#update(served, current, this.#withServerStatus(served, current, next)), resource.version);
  }

  /**
   * Deletes the object (a namespace with everything in it). Idempotent: `false` when there was
   * nothing to delete. An object with finalizers that something else must complete is only
   * marked (`metadata.deletionTimestamp`); it goes when an update removes the last of them.
   */
  async delete(resource: ResourceRef, name: string, options: DeleteKubeObjectOptions = {}): Promise<boolean> {
    throwIfAborted(options.abortSignal);
    const served = this.#resolve(resource);
    const namespace = this.#targetNamespace(served, options.namespace);
    requireName(name);
    this.#authorize("delete", served, namespace);
    await this.#roundTrip(options.abortSignal);
    const current = this.#table(served).get(namespace, name);
    if (current === undefined) return false;
    this.#deleteObject(served, current);
    return true;
  }

  /**
   * Runs a handler registered with {@link onExec} for the container (no handler: exit code 127,
   * stderr `command not found`). Throws `NotFound` for a missing pod or container,
   * `PreconditionFailed` when the container is not running, `Timeout` after `timeoutInMs` (the
   * handler's signal fires), `Aborted` when the caller aborts (the handler's signal fires too),
   * `InvalidArgument` for an empty argv or bad options. A handler's own error is passed on as is
   * when it is a KBackupError, else as `Adapter`.
   */
  async exec(pod: ObjectLocation, container: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    throwIfAborted(options.abortSignal);
    const location = requirePod(pod);
    if (typeof container !== "string" || container === "") throw invalidArgument("container", "must be a non-empty string");
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((arg) => typeof arg !== "string")) {
      throw invalidArgument("argv", "must be a non-empty array of strings");
    }
    const timeoutInMs = options.timeoutInMs ?? 0;
    if (!Number.isFinite(timeoutInMs) || timeoutInMs < 0) throw invalidArgument("options.timeoutInMs", `must be a number >= 0, got ${timeoutInMs}`);
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
      throw invalidArgument("options.maxOutputBytes", `must be a whole number >= 0, got ${maxOutputBytes}`);
    }
    this.#authorize("create", this.#served(CORE_PODS), location.namespace, "exec");
    await this.#roundTrip(options.abortSignal);
    const stored = this.#podWithContainer(location, container);
    if (!containerMeets(stored, container, "running")) {
      throw new KBackupError("PreconditionFailed", `Container "${container}" of pod ${objectPath(location)} is not running.`, {
        details: { namespace: location.namespace, pod: location.name, container },
      });
    }
    if (this.#execLatencyInMs > 0) await this.clock.sleep(this.#execLatencyInMs, { abortSignal: options.abortSignal });
    const handler = this.#execHandlers.find(location.namespace, location.name, container);
    const result =
      handler === undefined
        ? { exitCode: 127, stdout: "", stderr: "command not found" }
        : await this.#runHandler(handler, jsonCopy(stored), container, [...argv], timeoutInMs, options.abortSignal);
    return { exitCode: result.exitCode, stdout: lastBytes(result.stdout, maxOutputBytes), stderr: lastBytes(result.stderr, maxOutputBytes) };
  }

  /**
   * Resolves once the container is running (or ready), woken by the pod's changes and its
   * scheduled start, not by polling. Throws `NotFound` for a missing pod or container (also when
   * the pod is deleted while waiting), `Timeout` after `timeoutInMs` on the clock, `Aborted`.
   */
  async waitForContainer(pod: ObjectLocation, container: string, options: WaitForContainerOptions): Promise<void> {
    if (!isPlainObject(options)) throw invalidArgument("options", "must give condition");
    throwIfAborted(options.abortSignal);
    const location = requirePod(pod);
    if (typeof container !== "string" || container === "") throw invalidArgument("container", "must be a non-empty string");
    const condition = options.condition;
    if (condition !== "running" && condition !== "ready") throw invalidArgument("options.condition", `must be "running" or "ready", got ${JSON.stringify(condition)}`);
    const timeoutInMs = options.timeoutInMs ?? 0;
    if (!Number.isFinite(timeoutInMs) || timeoutInMs < 0) throw invalidArgument("options.timeoutInMs", `must be a number >= 0, got ${timeoutInMs}`);
    const signal = options.abortSignal;
    this.#authorize("get", this.#served(CORE_PODS), location.namespace);
    await this.#roundTrip(signal);
    const deadline = timeoutInMs > 0 ? this.clock.now().getTime() + timeoutInMs : undefined;
    const key = `${location.namespace}/${location.name}`;
    for (;;) {
      this.#startDuePods();
      const stored = this.#podWithContainer(location, container);
      if (containerMeets(stored, container, condition)) return;
      const nowInMs = this.clock.now().getTime();
      if (deadline !== undefined && nowInMs >= deadline) {
        throw new KBackupError("Timeout", `Container "${container}" of pod ${objectPath(location)} was not ${condition} within ${timeoutInMs} ms.`);
      }
      const wakeUps = [this.#podStarts.get(key), deadline].filter((time): time is number => time !== undefined);
      await this.#nextChange(key, wakeUps.length === 0 ? undefined : Math.max(0, Math.min(...wakeUps) - nowInMs), signal);
    }
  }

  /**
   * Whether the permission model (see {@link setPermissions}) allows each check, in order; every
   * check is allowed while no rules are set. InvalidArgument for a malformed check.
   */
  async checkAccess(checks: readonly ResourceAccessCheck[], options: CheckAccessOptions = {}): Promise<boolean[]> {
    throwIfAborted(options.abortSignal);
    if (!Array.isArray(checks)) throw invalidArgument("checks", "must be an array of { group, resource, verb, subresource?, namespace? }");
    const checked = checks.map((check, index) => checkedAccessCheck(check, `checks[${index}]`));
    await this.#roundTrip(options.abortSignal);
    const rules = this.#permissions;
    return checked.map((check) => rules === undefined || permits(rules, check));
  }

  // ---------------------------------------------------------------- test helpers

  /**
   * Sets what the client may do from now on, as RBAC-like rules: a request is allowed when one
   * rule names its verb, API group and resource (`pods/exec` for exec, `*` for any) and, for a
   * rule limited to namespaces, the request's namespace. Others fail with `PermissionDenied`, as
   * an API server answers 403. `undefined` allows everything again (the default). Discovery is
   * always allowed, and the test helpers (`load`, ...) bypass the rules.
   */
  setPermissions(rules: readonly MemoryClusterPermissionRule[] | undefined): void {
    this.#permissions = rules === undefined ? undefined : checkedPermissionRules(rules, "rules");
  }

  /**
   * Stores objects at once, without latency: for fixtures and benchmarks. Each gets a new
   * resourceVersion; a uid, creationTimestamp, generation and status it has are kept (so fixtures
   * keep their references), missing ones are set as `create` sets them. Pods without a
   * `status.phase` start like created ones; unbound claims are bound or provisioned. Namespaces
   * must be in `objects` or exist already. Everything is checked before anything is stored:
   * InvalidArgument (field `objects[i]...`), NotFound, AlreadyExists as `create`.
   */
  load(objects: readonly KubeObject[]): void {
    if (!Array.isArray(objects)) throw invalidArgument("objects", "must be an array of Kubernetes objects");
    // Namespaces first, then CRDs, so that the objects in them can be checked against them.
    const order: number[][] = [[], [], []];
    objects.forEach((object, index) => {
      const kind = isPlainObject(object) ? object.kind : undefined;
      (order[kind === "Namespace" && object.apiVersion === "v1" ? 0 : kind === "CustomResourceDefinition" ? 1 : 2] as number[]).push(index);
    });
    const byKind = new Map(this.#byKind);
    const now = this.#timestamp();
    const prepared: Array<{ served: ServedResource; object: Stored; key: string }> = [];
    const batch = new Map<ServedResource, Set<string>>();
    const newNamespaces = new Set<string>();
    const knownNamespaces = new Set<string>();
    for (const index of order.flat()) {
      const field = `objects[${index}]`;
      const input = objects[index] as KubeObject;
      if (!isPlainObject(input) || typeof input.apiVersion !== "string" || typeof input.kind !== "string") {
        throw invalidArgument(field, "must be a Kubernetes object with apiVersion and kind");
      }
      const { group, version } = parseApiVersion(input.apiVersion);
      const served = byKind.get(`${group}/${input.kind}`);
      if (served === undefined || !served.versions.includes(version)) {
        throw new KBackupError("NotFound", `${field}: the cluster serves no kind ${input.kind} in ${input.apiVersion}.`, { field: `${field}.kind` });
      }
      const object = this.#prepareNew(served, version, input, field, true, now);
      const namespace = object.metadata.namespace;
      const name = object.metadata.name as string;
      if (namespace !== undefined && !newNamespaces.has(namespace) && !knownNamespaces.has(namespace)) {
        this.#checkNamespace(served, object, field);
        knownNamespaces.add(namespace);
      }
      const key = tableKey(namespace ?? "", name);
      let keys = batch.get(served);
      if (keys === undefined) batch.set(served, (keys = new Set()));
      if (keys.has(key) || this.#table(served).getByKey(key) !== undefined) {
        throw new KBackupError("AlreadyExists", `${field}: ${describe(served, namespace ?? "", name)} ${keys.has(key) ? "appears twice" : "already exists"}.`, { field });
      }
      keys.add(key);
      if (isNamespaceType(served)) newNamespaces.add(name);
      if (served.key === CRDS) {
        const custom = customServedResource(object);
        if (custom !== undefined) byKind.set(`${custom.api.group}/${custom.api.kind}`, custom);
      }
      prepared.push({ served, object, key });
    }
    for (const { served, object, key } of prepared) {
      this.#put(served, object, key);
      if (served.key === CRDS) this.#refreshResources();
    }
    let waiting: Map<string, Stored> | undefined;
    for (const { served, key } of prepared) {
      const stored = this.#table(served).getByKey(key);
      if (stored === undefined) continue;
      if (served.key === CORE_PODS) {
        if (!isPlainObject(stored["status"]) || stored["status"]["phase"] === undefined) this.#schedulePodStart(served, stored);
      } else if (served.key === CORE_PVS) {
        this.#afterVolumeStored(stored, (waiting ??= this.#claimsWaitingForVolumes()));
      } else if (served.key === CORE_PVCS && !isBound(stored)) {
        this.#bindClaim(stored);
      }
    }
  }

  /**
   * Registers what runs when `exec` targets a matching container (omitted members match all);
   * the most recently registered matching handler wins. Returns a function that unregisters it.
   */
  onExec(handler: ExecHandler, match: ExecMatch = {}): () => void {
    if (typeof handler !== "function") throw invalidArgument("handler", "must be a function");
    return this.#execHandlers.add(handler, match);
  }

  /**
   * Sets a pod's phase and its containers' state, as a kubelet would report it (a pod stuck in
   * `Pending`, a crashed one); the pod no longer starts by itself. `NotFound` for a missing pod.
   */
  setPodState(pod: PodLocation, state: PodState): void {
    const location = requirePod(pod);
    const phases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];
    if (!isPlainObject(state) || !phases.includes(state.phase)) throw invalidArgument("state.phase", `must be one of ${phases.join(", ")}`);
    const served = this.#served(CORE_PODS);
    const current = this.#table(served).get(location.namespace, location.name);
    if (current === undefined) throw notFound(served, location.namespace, location.name);
    const key = `${location.namespace}/${location.name}`;
    this.#podStarts.delete(key);
    this.#writeStatus(served, current, podStatus(current, state, this.#timestamp()));
  }

  /** Makes an empty disk for a volume handle; `AlreadyExists` if there is one. */
  createDisk(volumeHandle: string, sizeInBytes: number): void {
    this.disks.create(volumeHandle, sizeInBytes);
  }

  /** Writes bytes into a volume's disk at `offset` (default 0); `NotFound`, `InvalidArgument` past its end. */
  writeVolume(volumeHandle: string, bytes: Uint8Array, offset = 0): void {
    this.disks.write(volumeHandle, bytes, offset);
  }

  /** A volume's bytes, all of them or `length` from `offset`; `NotFound` for a missing disk. */
  readVolume(volumeHandle: string, offset = 0, length?: number): Uint8Array {
    return this.disks.read(volumeHandle, offset, length);
  }

  /** Makes every list continuation token handed out so far expire, as a compaction would. */
  expireListTokens(): void {
    this.#cursors.expireAll();
  }

  // ---------------------------------------------------------------- listing

  async #listPage(resource: ResourceRef, options: ListKubeObjectsOptions, token: string | undefined, maxPageSize: number | undefined): Promise<Page<KubeObject>> {
    throwIfAborted(options.abortSignal);
    if (maxPageSize !== undefined && (!Number.isSafeInteger(maxPageSize) || maxPageSize < 1)) {
      throw invalidArgument("maxPageSize", `must be a whole number >= 1, got ${maxPageSize}`);
    }
    const served = this.#resolve(resource);
    const namespace = options.namespace === undefined || options.namespace === "" ? undefined : options.namespace;
    if (namespace !== undefined && !served.api.namespaced) throw invalidArgument("options.namespace", `${served.api.resource} are cluster-scoped`);
    const labels = options.labelSelector === undefined || options.labelSelector === "" ? undefined : parseLabelSelector(options.labelSelector, "options.labelSelector");
    const fields = options.fieldSelector === undefined || options.fieldSelector === "" ? undefined : compileFieldSelector(options.fieldSelector);
    this.#authorize("list", served, namespace);
    await this.#roundTrip(options.abortSignal);
    const scope = JSON.stringify([served.api.group, served.api.resource, namespace ?? null, options.labelSelector ?? "", options.fieldSelector ?? ""]);
    let id: number | undefined;
    let cursor: Omit<ListCursor, "expiresAtInMs">;
    let position: number;
    if (token !== undefined && token !== "") {
      ({ id, cursor, position } = this.#cursors.resume(token, scope));
    } else {
      const table = this.#table(served);
      const items = table.sorted();
      const range = namespace === undefined ? { start: 0, end: items.length } : table.namespaceRange(namespace);
      const accept = (object: KubeObject) => (labels === undefined || labels.matches(object.metadata.labels)) && (fields === undefined || fields(object));
      cursor = { scope, items, end: range.end, accept };
      position = range.start;
    }
    const limit = maxPageSize ?? Number.POSITIVE_INFINITY;
    const page: KubeObject[] = [];
    const { items, end, accept } = cursor;
    while (position < end && page.length < limit) {
      const object = items[position++] as KubeObject;
      if (accept(object)) page.push(this.#out(object, resource.version));
    }
    while (position < end && !accept(items[position] as KubeObject)) position++;
    if (position >= end) return { items: page };
    id ??= this.#cursors.open(cursor);
    return { items: page, continuationToken: this.#cursors.token(id, position) };
  }

  // ---------------------------------------------------------------- writing

  /** Checks a new object and fills in the server's fields; `keepServerFields` is for `load`. */
  #prepareNew(served: ServedResource, version: string, input: KubeObject, field: string, keepServerFields: boolean, now = this.#timestamp()): Stored {
    const object = this.#checkedCopy(served, version, input, field, true);
    const metadata = object.metadata;
    if (!keepServerFields || typeof metadata.uid !== "string" || metadata.uid === "") metadata.uid = randomUUID();
    if (!keepServerFields || typeof metadata.creationTimestamp !== "string") metadata.creationTimestamp = now;
    if (!keepServerFields || typeof metadata.generation !== "number") metadata.generation = 1;
    delete metadata.resourceVersion;
    delete metadata.deletionTimestamp;
    delete metadata["deletionGracePeriodSeconds"];
    delete metadata["selfLink"];
    const kind = served.api.group === "" || served.api.group === "apiextensions.k8s.io" ? served.api.kind : "";
    const keepStatus = keepServerFields && object["status"] !== undefined;
    if (!keepStatus && (served.api.subresources ?? []).includes("status")) delete object["status"];
    switch (kind) {
      case "Namespace":
        metadata.labels = { ...metadata.labels, "kubernetes.io/metadata.name": metadata.name as string };
        if (!keepStatus) object["status"] = { phase: "Active" };
        break;
      case "PersistentVolumeClaim": {
        const spec = isPlainObject(object["spec"]) ? object["spec"] : (object["spec"] = {});
        if (spec["storageClassName"] === undefined) {
          const defaultClass = this.#defaultStorageClass();
          if (defaultClass !== undefined) spec["storageClassName"] = defaultClass;
        }
        if (!keepStatus) object["status"] = { phase: "Pending" };
        break;
      }
      case "PersistentVolume":
        if (!keepStatus) object["status"] = { phase: "Available" };
        break;
      case "CustomResourceDefinition":
        validateCustomResourceDefinition(object, field);
        if (!keepStatus) object["status"] = customResourceDefinitionStatus(object, now);
        break;
    }
    return object;
  }

  /**
   * A deep copy of an object from a caller, checked against its resource type: apiVersion, kind,
   * metadata, name (or generateName on create) and namespace. InvalidArgument names the field.
   */
  #checkedCopy(served: ServedResource, version: string, input: KubeObject, field: string, creating = false): Stored {
    if (!isPlainObject(input)) throw invalidArgument(field, "must be a Kubernetes object");
    const expectedVersion = apiVersionOf({ group: served.api.group, version });
    if (input.apiVersion !== expectedVersion) throw invalidArgument(`${field}.apiVersion`, `must be "${expectedVersion}" for ${served.api.resource}, got ${JSON.stringify(input.apiVersion)}`);
    if (input.kind !== served.api.kind) throw invalidArgument(`${field}.kind`, `must be "${served.api.kind}" for ${served.api.resource}, got ${JSON.stringify(input.kind)}`);
    if (!isPlainObject(input.metadata)) throw invalidArgument(`${field}.metadata`, "must be an object");
    const object = jsonCopy(input);
    const metadata = object.metadata;
    if (creating && (metadata.name === undefined || metadata.name === "") && typeof metadata.generateName === "string" && metadata.generateName !== "") {
      metadata.name = generatedName(metadata.generateName);
    }
    if (typeof metadata.name !== "string" || metadata.name === "") throw invalidArgument(`${field}.metadata.name`, "is required");
    const nameProblem = namingProblem(served, metadata.name);
    if (nameProblem !== undefined) throw invalidArgument(`${field}.metadata.name`, nameProblem);
    if (metadata.namespace === "") delete metadata.namespace;
    if (served.api.namespaced) {
      if (metadata.namespace === undefined) throw invalidArgument(`${field}.metadata.namespace`, `is required for ${served.api.resource}`);
      if (typeof metadata.namespace !== "string") throw invalidArgument(`${field}.metadata.namespace`, "must be a string");
      const problem = dns1123LabelProblem(metadata.namespace);
      if (problem !== undefined) throw invalidArgument(`${field}.metadata.namespace`, problem);
    } else if (metadata.namespace !== undefined) {
      throw invalidArgument(`${field}.metadata.namespace`, `must not be set: ${served.api.resource} are cluster-scoped`);
    }
    return object;
  }

  /** Throws NotFound for a missing namespace, PermissionDenied for one being deleted. */
  #checkNamespace(served: ServedResource, object: Stored, field: string): void {
    const namespace = object.metadata.namespace;
    if (namespace !== undefined) {
      const owner = this.#table(this.#served(CORE_NAMESPACES)).get("", namespace);
      if (owner === undefined) {
        throw new KBackupError("NotFound", `Namespace "${namespace}" does not exist.`, { field: `${field}.metadata.namespace`, details: { namespace } });
      }
      if (owner.metadata.deletionTimestamp !== undefined) {
        throw new KBackupError("PermissionDenied", `Cannot create ${served.api.resource} in namespace "${namespace}": it is being deleted.`, { details: { namespace } });
      }
    }
  }

  /** Throws AlreadyExists when the object's name is taken. */
  #checkNameFree(served: ServedResource, object: Stored, field: string): void {
    const { name, namespace } = object.metadata;
    if (this.#table(served).get(namespace ?? "", name as string) !== undefined) {
      throw new KBackupError("AlreadyExists", `${describe(served, namespace ?? "", name as string)} already exists.`, { field: `${field}.metadata.name` });
    }
  }

  /** Stores an update of `current`, keeping its server fields; removes it when its last finalizer went. */
  #update(served: ServedResource, current: Stored, next: Stored): Stored {
    const metadata = { ...next.metadata };
    metadata.uid = current.metadata.uid;
    metadata.creationTimestamp = current.metadata.creationTimestamp;
    metadata.resourceVersion = current.metadata.resourceVersion;
    if (current.metadata.deletionTimestamp === undefined) delete metadata.deletionTimestamp;
    else metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    metadata.generation = (current.metadata.generation ?? 1) + (specChanged(current, next) ? 1 : 0);
    const updated: Stored = { ...next, apiVersion: current.apiVersion, metadata };
    if (jsonEqual(updated, current)) return current;
    this.#put(served, updated);
    if (metadata.deletionTimestamp !== undefined && pendingFinalizers(metadata.finalizers).length === 0) {
      if (isNamespaceType(served)) this.#removeNamespaceIfEmpty(metadata.name as string);
      else this.#remove(served, updated);
      return updated;
    }
    if (served.key === CRDS) this.#refreshResources();
    return updated;
  }

  /** `next` with the status that `current` had, for types whose status only the status subresource changes. */
  #withServerStatus(served: ServedResource, current: Stored, next: Stored): Stored {
    if (!(served.api.subresources ?? []).includes("status")) return next;
    const merged: Stored = { ...next };
    if (current["status"] === undefined) delete merged["status"];
    else merged["status"] = current["status"];
    return merged;
  }

  /** Deletes an object, or marks it when finalizers hold it. */
  #deleteObject(served: ServedResource, current: Stored): void {
    if (current.metadata.deletionTimestamp !== undefined) return;
    const finalizers = pendingFinalizers(current.metadata.finalizers);
    const isNamespace = isNamespaceType(served);
    if (finalizers.length === 0 && !isNamespace) {
      this.#remove(served, current);
      return;
    }
    const metadata = { ...current.metadata, deletionTimestamp: this.#timestamp(), deletionGracePeriodSeconds: 0 };
    if (finalizers.length === 0) delete metadata.finalizers;
    else metadata.finalizers = finalizers;
    const marked: Stored = isNamespace ? { ...current, metadata, status: { phase: "Terminating" } } : { ...current, metadata };
    this.#put(served, marked);
    if (isNamespace) {
      this.#deleteNamespaceContents(metadata.name as string);
      this.#removeNamespaceIfEmpty(metadata.name as string);
    } else if (served.api.kind === "CustomResourceDefinition") {
      this.#refreshResources();
    }
  }

  #deleteNamespaceContents(namespace: string): void {
    for (const served of [...this.#resources.values()]) {
      if (!served.api.namespaced) continue;
      const table = this.#tables.get(served.key);
      if (table === undefined || table.size === 0) continue;
      const items = table.sorted();
      const { start, end } = table.namespaceRange(namespace);
      for (let index = start; index < end; index++) {
        const object = items[index] as Stored;
        const current = table.get(namespace, object.metadata.name as string);
        if (current !== undefined) this.#deleteObject(served, current);
      }
    }
  }

  #removeNamespaceIfEmpty(namespace: string): void {
    if ((this.#namespaceCounts.get(namespace) ?? 0) > 0) return;
    const served = this.#served(CORE_NAMESPACES);
    const owner = this.#table(served).get("", namespace);
    if (owner?.metadata.deletionTimestamp !== undefined && pendingFinalizers(owner.metadata.finalizers).length === 0) this.#remove(served, owner);
  }

  /**
   * Stores an object with a new resourceVersion. `object` and its metadata must be new (not shared
   * with a stored object): the resourceVersion is set on them, and they must not change afterwards.
   */
  #put(served: ServedResource, object: Stored, key?: string): void {
    this.#resourceVersion++;
    object.metadata.resourceVersion = String(this.#resourceVersion);
    const table = this.#table(served);
    const namespace = object.metadata.namespace;
    const tableKeyOfObject = key ?? tableKey(namespace ?? "", object.metadata.name as string);
    if (namespace !== undefined && table.getByKey(tableKeyOfObject) === undefined) {
      this.#namespaceCounts.set(namespace, (this.#namespaceCounts.get(namespace) ?? 0) + 1);
    }
    table.set(object, tableKeyOfObject);
    if (served.api.kind === "Pod" && served.api.group === "") this.#notifyPod(`${namespace}/${object.metadata.name}`);
  }

  /** Removes an object for good, with what its removal sets off. */
  #remove(served: ServedResource, object: Stored): void {
    const name = object.metadata.name as string;
    const namespace = object.metadata.namespace;
    if (!this.#table(served).delete(namespace ?? "", name)) return;
    this.#resourceVersion++;
    const key = served.key;
    if (namespace !== undefined) {
      this.#namespaceCounts.set(namespace, (this.#namespaceCounts.get(namespace) ?? 1) - 1);
      this.#removeNamespaceIfEmpty(namespace);
    }
    if (key === CORE_PODS) {
      this.#podStarts.delete(`${namespace}/${name}`);
      this.#notifyPod(`${namespace}/${name}`);
    } else if (key === CRDS) {
      this.#refreshResources();
    } else if (key === CORE_PVCS) {
      this.#releaseVolumeOf(object);
    } else if (key === CORE_PVS) {
      const csi = csiSource(object);
      if (csi !== undefined && object["spec"] !== undefined && (object["spec"] as Record<string, unknown>)["persistentVolumeReclaimPolicy"] === "Delete") {
        this.disks.delete(csi.volumeHandle);
      }
    }
  }

  #afterCreate(served: ServedResource, object: Stored): void {
    const key = served.key;
    if (key === CRDS) this.#refreshResources();
    else if (key === CORE_PODS) this.#schedulePodStart(served, object);
    else if (key === CORE_PVS) this.#afterVolumeStored(object);
    else if (key === CORE_PVCS) this.#bindClaim(object);
  }

  /** The stored version of an object, or `undefined` when it is gone. */
  #current(object: Stored): Stored | undefined {
    const served = this.#byKind.get(`${parseApiVersion(object.apiVersion).group}/${object.kind}`);
    return served === undefined ? undefined : this.#tables.get(served.key)?.get(object.metadata.namespace ?? "", object.metadata.name as string);
  }

  #writeStatus(served: ServedResource, current: Stored, status: Record<string, unknown>): Stored {
    const updated: Stored = { ...current, metadata: { ...current.metadata }, status };
    this.#put(served, updated);
    return updated;
  }

  // ---------------------------------------------------------------- pods

  #schedulePodStart(served: ServedResource, pod: Stored): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.#podStartupDelayInMs === 0) {
      this.#writeStatus(served, pod, podStatus(pod, { phase: "Running" }, this.#timestamp()));
      return;
    }
    this.#writeStatus(served, pod, podStatus(pod, { phase: "Pending" }, this.#timestamp()));
    this.#podStarts.set(key, this.clock.now().getTime() + this.#podStartupDelayInMs);
  }

  /** Starts the pods whose startup delay has passed on the clock. */
  #startDuePods(): void {
    if (this.#podStarts.size === 0) return;
    const nowInMs = this.clock.now().getTime();
    const served = this.#served(CORE_PODS);
    for (const [key, startAtInMs] of this.#podStarts) {
      if (startAtInMs > nowInMs) continue;
      this.#podStarts.delete(key);
      const slash = key.indexOf("/");
      const pod = this.#table(served).get(key.slice(0, slash), key.slice(slash + 1));
      if (pod !== undefined) this.#writeStatus(served, pod, podStatus(pod, { phase: "Running" }, this.#timestamp()));
    }
  }

  #podWithContainer(location: PodLocation, container: string): Stored {
    this.#startDuePods();
    const served = this.#served(CORE_PODS);
    const pod = this.#table(served).get(location.namespace, location.name);
    if (pod === undefined) throw notFound(served, location.namespace, location.name);
    if (!podContainerNames(pod).includes(container)) {
      throw new KBackupError("NotFound", `Pod ${objectPath(location)} has no container "${container}".`, {
        field: "container",
        details: { namespace: location.namespace, pod: location.name, container },
      });
    }
    return pod;
  }

  #notifyPod(key: string): void {
    const watchers = this.#podWatchers.get(key);
    if (watchers === undefined) return;
    this.#podWatchers.delete(key);
    for (const wake of watchers) wake();
  }

  /** Waits for a change of the pod, `sleepInMs` on the clock (when given), or the caller's abort. */
  #nextChange(key: string, sleepInMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const done = new AbortController();
    return new Promise<void>((resolve, reject) => {
      const watchers = this.#podWatchers.get(key) ?? new Set();
      this.#podWatchers.set(key, watchers);
      watchers.add(resolve);
      done.signal.addEventListener("abort", () => watchers.delete(resolve), { once: true });
      if (sleepInMs !== undefined) {
        this.clock.sleep(sleepInMs, { abortSignal: done.signal }).then(resolve, (error: unknown) => {
          if (!done.signal.aborted) reject(error);
        });
      }
      if (signal !== undefined) {
        if (signal.aborted) reject(abortedError(signal));
        signal.addEventListener("abort", () => reject(abortedError(signal)), { once: true, signal: done.signal });
      }
    }).finally(() => done.abort());
  }

  async #runHandler(handler: ExecHandler, pod: KubeObject, container: string, argv: string[], timeoutInMs: number, signal: AbortSignal | undefined): Promise<ExecResult> {
    const stop = new AbortController();
    const done = new AbortController();
    try {
      return await new Promise<ExecResult>((resolve, reject) => {
        const fail = (error: KBackupError) => {
          stop.abort(error);
          reject(error);
        };
        if (signal !== undefined) signal.addEventListener("abort", () => fail(abortedError(signal)), { once: true, signal: done.signal });
        if (timeoutInMs > 0) {
          this.clock.sleep(timeoutInMs, { abortSignal: done.signal }).then(
            () => fail(new KBackupError("Timeout", `The command ${JSON.stringify(argv)} in container "${container}" was stopped after ${timeoutInMs} ms.`)),
            () => undefined,
          );
        }
        Promise.resolve()
          .then(() => handler({ pod, container, argv, abortSignal: stop.signal }))
          .then(
            (result) => resolve(checkedExecResult(result)),
            (error: unknown) => reject(isKBackupError(error) ? error : new KBackupError("Adapter", `The exec handler failed: ${String(error)}`, { cause: error })),
          );
      });
    } finally {
      done.abort();
    }
  }

  // ---------------------------------------------------------------- volumes

  /**
   * Gives a CSI volume of the Azure drivers its disk, and binds the claim it names or that names
   * it. `waiting` (from {@link #claimsWaitingForVolumes}) saves a scan of the claims per volume.
   */
  #afterVolumeStored(volume: Stored, waiting?: Map<string, Stored>): void {
    const csi = csiSource(volume);
    if (csi !== undefined && MEMORY_CSI_DRIVERS.includes(csi.driver) && !this.disks.has(csi.volumeHandle)) {
      this.disks.create(csi.volumeHandle, capacityInBytes(volume) ?? 0);
    }
    const claims = this.#table(this.#served(CORE_PVCS));
    const claimRef = isPlainObject(volume["spec"]) ? volume["spec"]["claimRef"] : undefined;
    const named =
      isPlainObject(claimRef) && typeof claimRef["namespace"] === "string" && typeof claimRef["name"] === "string"
        ? claims.get(claimRef["namespace"], claimRef["name"])
        : (waiting ?? this.#claimsWaitingForVolumes()).get(volume.metadata.name as string);
    // Re-read: `waiting` may hold a claim that has been bound since.
    const claim = named === undefined ? undefined : claims.get(named.metadata.namespace as string, named.metadata.name as string);
    if (claim !== undefined && !isBound(claim)) this.#bindClaim(claim);
  }

  /** Unbound claims that name a volume, by the volume's name. */
  #claimsWaitingForVolumes(): Map<string, Stored> {
    const waiting = new Map<string, Stored>();
    for (const claim of this.#table(this.#served(CORE_PVCS)).values()) {
      const volumeName = isPlainObject(claim["spec"]) ? claim["spec"]["volumeName"] : undefined;
      if (typeof volumeName === "string" && volumeName !== "" && !isBound(claim)) waiting.set(volumeName, claim);
    }
    return waiting;
  }

  /** Binds a claim to the volume it names, or provisions one from its storage class; returns the claim as stored. */
  #bindClaim(claim: Stored): Stored {
    const spec = isPlainObject(claim["spec"]) ? claim["spec"] : {};
    const volumeName = spec["volumeName"];
    if (typeof volumeName === "string" && volumeName !== "") {
      const volume = this.#table(this.#served(CORE_PVS)).get("", volumeName);
      return volume !== undefined && canBind(volume, claim) ? this.#bind(claim, volume) : claim;
    }
    const className = spec["storageClassName"];
    const storageClass = typeof className === "string" ? this.#table(this.#served(STORAGE_CLASSES)).get("", className) : undefined;
    const driver = storageClass?.["provisioner"];
    const sizeInBytes = requestedBytes(claim);
    if (storageClass === undefined || typeof driver !== "string" || !MEMORY_CSI_DRIVERS.includes(driver) || sizeInBytes === undefined) return claim;
    const volume = provisionedVolume(claim, storageClass, driver, sizeInBytes, this.identity, this.#timestamp());
    const handle = csiSource(volume)?.volumeHandle as string;
    if (!this.disks.has(handle)) this.disks.create(handle, sizeInBytes);
    this.#put(this.#served(CORE_PVS), volume);
    return this.#bind(claim, volume);
  }

  #bind(claim: Stored, volume: Stored): Stored {
    const bound = boundPair(claim, volume);
    this.#put(this.#served(CORE_PVS), bound.volume);
    this.#put(this.#served(CORE_PVCS), bound.claim);
    return bound.claim;
  }

  /** When a claim goes, its volume is deleted (reclaim policy Delete) or released. */
  #releaseVolumeOf(claim: Stored): void {
    const volumeName = isPlainObject(claim["spec"]) ? claim["spec"]["volumeName"] : undefined;
    if (typeof volumeName !== "string") return;
    const served = this.#served(CORE_PVS);
    const volume = this.#table(served).get("", volumeName);
    if (volume === undefined || !isPlainObject(volume["spec"])) return;
    const claimRef = volume["spec"]["claimRef"];
    if (!isPlainObject(claimRef) || claimRef["namespace"] !== claim.metadata.namespace || claimRef["name"] !== claim.metadata.name) return;
    if (volume["spec"]["persistentVolumeReclaimPolicy"] === "Delete") this.#deleteObject(served, volume);
    else this.#writeStatus(served, volume, { phase: "Released" });
  }

  #defaultStorageClass(): string | undefined {
    for (const storageClass of this.#table(this.#served(STORAGE_CLASSES)).sorted()) {
      if (storageClass.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true") return storageClass.metadata.name;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * One round trip to the API server: the latency, then a check that the caller still waits.
   * Pods due to start by now are started first, so every call sees them running.
   */
  async #roundTrip(signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    if (this.#latencyInMs > 0) await this.clock.sleep(this.#latencyInMs, { abortSignal: signal });
    throwIfAborted(signal);
    this.#startDuePods();
  }

  #resolve(resource: ResourceRef): ServedResource {
    if (!isPlainObject(resource) || typeof resource.group !== "string" || typeof resource.version !== "string" || typeof resource.resource !== "string") {
      throw invalidArgument("resource", "must be { group, version, resource } strings");
    }
    const served = this.#resources.get(resourceKey(resource.group, resource.resource));
    if (served === undefined || !served.versions.includes(resource.version)) {
      throw new KBackupError("NotFound", `The cluster serves no resource "${resource.resource}" in ${apiVersionOf(resource)}.`, {
        field: "resource",
        details: { group: resource.group, version: resource.version, resource: resource.resource },
      });
    }
    return served;
  }

  /** Throws PermissionDenied when the permission model does not allow the request. */
  #authorize(verb: string, served: ServedResource, namespace: string | undefined, subresource?: string): void {
    const rules = this.#permissions;
    if (rules === undefined) return;
    const check: ResourceAccessCheck = {
      group: served.api.group,
      resource: served.api.resource,
      verb,
      ...(subresource ? { subresource } : {}),
      ...(namespace ? { namespace } : {}),
    };
    if (!permits(rules, check)) throw permissionDenied(this.identity.name, check);
  }

  #served(key: string): ServedResource {
    return this.#resources.get(key) as ServedResource;
  }

  #table(served: ServedResource): ObjectTable {
    let table = this.#tables.get(served.key);
    if (table === undefined) {
      table = new ObjectTable();
      this.#tables.set(served.key, table);
    }
    return table;
  }

  /** The namespace a request names: required for namespaced types, refused for cluster-scoped ones ("" then). */
  #targetNamespace(served: ServedResource, namespace: string | undefined): string {
    if (served.api.namespaced) {
      if (typeof namespace !== "string" || namespace === "") throw invalidArgument("options.namespace", `is required for ${served.api.resource}`);
      return namespace;
    }
    if (namespace !== undefined && namespace !== "") throw invalidArgument("options.namespace", `must not be set: ${served.api.resource} are cluster-scoped`);
    return "";
  }

  /** Rebuilds the served types from the built-ins and the stored CRDs; drops the objects of types that went. */
  #refreshResources(): void {
    const resources = new Map<string, ServedResource>();
    for (const served of builtinServedResources()) resources.set(served.key, served);
    const crds = this.#tables.get(CRDS);
    for (const crd of crds?.sorted() ?? []) {
      const custom = customServedResource(crd);
      const key = custom === undefined ? undefined : custom.key;
      if (custom !== undefined && key !== undefined && !resources.has(key)) resources.set(key, custom);
    }
    const emptied = new Set<string>();
    for (const [key, table] of this.#tables) {
      if (resources.has(key)) continue;
      for (const object of table.sorted()) {
        const namespace = object.metadata.namespace;
        if (namespace === undefined) continue;
        this.#namespaceCounts.set(namespace, (this.#namespaceCounts.get(namespace) ?? 1) - 1);
        emptied.add(namespace);
      }
      this.#tables.delete(key);
    }
    this.#resources = resources;
    this.#byKind = new Map([...resources.values()].map((served) => [`${served.api.group}/${served.api.kind}`, served]));
    for (const namespace of emptied) this.#removeNamespaceIfEmpty(namespace);
  }

  #out(object: Stored, version: string): KubeObject {
    const copy = jsonCopy(object);
    const { group, version: storedVersion } = parseApiVersion(object.apiVersion);
    if (storedVersion !== version) copy.apiVersion = apiVersionOf({ group, version });
    return copy;
  }

  #timestamp(): string {
    return this.clock.now().toISOString().replace(/\.\d{3}Z$/, "Z");
  }
}

function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidArgument(field, `must be a number >= 0, got ${value}`);
  return value;
}

function isNamespaceType(served: ServedResource): boolean {
  return served.api.group === "" && served.api.kind === "Namespace";
}

function requireName(name: string): void {
  if (typeof name !== "string" || name === "") throw invalidArgument("name", "must be a non-empty string");
}

function requirePod(pod: ObjectLocation): PodLocation {
  if (!isPlainObject(pod) || typeof pod.name !== "string" || pod.name === "") throw invalidArgument("pod.name", "must be a non-empty string");
  if (typeof pod.namespace !== "string" || pod.namespace === "") throw invalidArgument("pod.namespace", "must be a non-empty string");
  return { namespace: pod.namespace, name: pod.name };
}

function describe(served: ServedResource, namespace: string, name: string): string {
  return `${served.api.kind} ${objectPath({ namespace: namespace === "" ? undefined : namespace, name })}`;
}

function notFound(served: ServedResource, namespace: string, name: string): KBackupError {
  return new KBackupError("NotFound", `${describe(served, namespace, name)} does not exist.`, { details: { resource: served.api.resource, namespace, name } });
}

function conflict(served: ServedResource, namespace: string, name: string): KBackupError {
  return new KBackupError("Conflict", `${describe(served, namespace, name)} has changed since the given resourceVersion; read it again and retry.`, {
    field: "metadata.resourceVersion",
  });
}
