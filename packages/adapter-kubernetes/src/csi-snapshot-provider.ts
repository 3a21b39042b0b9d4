import { randomBytes } from "node:crypto";
import {
  dns1123SubdomainProblem,
  EXCLUDE_FROM_BACKUP_LABELS,
  invalidArgument,
  isKBackupError,
  KBackupError,
  silentLogger,
  throwIfAborted,
  type ClusterClient,
  type CreateSnapshotOptions,
  type CreateVolumeOptions,
  type KubeObject,
  type Logger,
  type OperationOptions,
  type ResourceRef,
  type RestoredVolume,
  type SnapshotProvider,
  type SnapshotProviderCapabilities,
  type SnapshotReader,
  type SnapshotSupport,
  type VolumeSnapshotRecord,
} from "@kbackup/core";
import { waitUntil } from "./wait-until.js";

/** Options of {@link CsiSnapshotProvider}. */
export interface CsiSnapshotProviderOptions {
  /** The name recorded with each snapshot; defaults to `csi`. */
  name?: string;
  /** Where `createVolume` puts its temporary objects; created when missing. Defaults to `kube-system`. */
  workNamespace?: string;
  /** How long to wait for a snapshot to be `readyToUse`, and for a restored claim to bind; defaults to 10 minutes. */
  readyTimeoutInMs?: number;
  logger?: Logger;
}

const GROUP = "snapshot.storage.k8s.io";
const SNAPSHOTS: ResourceRef = { group: GROUP, version: "v1", resource: "volumesnapshots" };
const CONTENTS: ResourceRef = { group: GROUP, version: "v1", resource: "volumesnapshotcontents" };
const CLASSES: ResourceRef = { group: GROUP, version: "v1", resource: "volumesnapshotclasses" };
const CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const VOLUMES: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };
const NODES: ResourceRef = { group: "", version: "v1", resource: "nodes" };
const DEFAULT_CLASS_ANNOTATION = "snapshot.storage.kubernetes.io/is-default-class";
const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
/** Labels of every object the provider makes: kbackup made it, and no backup should take it. */
const LABELS = { "app.kubernetes.io/managed-by": "kbackup", [EXCLUDE_FROM_BACKUP_LABELS[0] as string]: "true" };
const SERVER_METADATA = ["uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"];

type Json = Record<string, unknown>;

/**
 * Snapshots of persistent volumes on any CSI driver that has a `VolumeSnapshotClass`, through the
 * `snapshot.storage.k8s.io/v1` API of the cluster (the external snapshotter does the work):
 *
 * - `createSnapshot` makes a `VolumeSnapshot` of the PV's claim with the driver's class (the one
 *   annotated `snapshot.storage.kubernetes.io/is-default-class`, else the only one), waits until
 *   it is `readyToUse`, and records the driver's snapshot handle (`VolumeSnapshotContent
 *   .status.snapshotHandle`): the handle names the snapshot in the storage itself, so another
 *   cluster on the same storage can restore it.
 * - `createVolume` binds the handle to a pre-provisioned `VolumeSnapshotContent` (deletion policy
 *   `Retain`) and a `VolumeSnapshot` in the work namespace, creates a temporary claim from it
 *   (`dataSource`), waits for it to bind, keeps the provisioned volume (reclaim policy `Retain`)
 *   while it deletes the temporary claim, volume object, snapshot and content, and returns the
 *   backed-up PV rewritten to the new volume's handle, attributes, capacity and node affinity.
 *   The restore then creates that PV and binds the restored claim to it, as for any provider.
 *   For a storage class that binds on first consumer, the claim names a node
 *   (`volume.kubernetes.io/selected-node`): `options.location.node`, else the first ready node.
 * - `deleteSnapshot` deletes every `VolumeSnapshot` and content with the handle, the content's
 *   deletion policy set to `Delete` first so that the driver deletes the snapshot itself.
 * - `openSnapshot` is `Unsupported`: CSI has no way to read a snapshot's bytes.
 *
 * Everything it creates is labelled `kbackup.io/exclude-from-backup=true`.
 */
export class CsiSnapshotProvider implements SnapshotProvider {
  readonly name: string;
  readonly capabilities: SnapshotProviderCapabilities = { incremental: false, readData: false, changedRanges: false };
  readonly #cluster: ClusterClient;
  readonly #workNamespace: string;
  readonly #readyTimeoutInMs: number;
  readonly #logger: Logger;

  /** Throws `InvalidArgument` for a bad work namespace or timeout. */
  constructor(cluster: ClusterClient, options: CsiSnapshotProviderOptions = {}) {
    this.#cluster = cluster;
    this.name = options.name ?? "csi";
    this.#workNamespace = options.workNamespace ?? "kube-system";
    const problem = dns1123SubdomainProblem(this.#workNamespace);
    if (problem !== undefined) throw invalidArgument("workNamespace", problem);
    this.#readyTimeoutInMs = options.readyTimeoutInMs ?? 10 * 60_000;
    if (!Number.isFinite(this.#readyTimeoutInMs) || this.#readyTimeoutInMs <= 0) throw invalidArgument("readyTimeoutInMs", `must be a number > 0, got ${this.#readyTimeoutInMs}`);
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Supported for a bound CSI PV whose driver has a VolumeSnapshotClass; otherwise why not (not a
   * CSI volume, no claim, no class for the driver, no snapshot API). Throws only for an abort or
   * an unreachable cluster.
   */
  async canSnapshot(persistentVolume: KubeObject, options: OperationOptions = {}): Promise<SnapshotSupport> {
    throwIfAborted(options.abortSignal);
    const reason = await this.#unsupportedReason(persistentVolume, options.abortSignal);
    return reason === undefined ? { supported: true } : { supported: false, reason };
  }

  /** Takes a VolumeSnapshot of the PV's claim and waits until it is ready. `Unsupported` with the reason; `Timeout`; `Adapter` when the snapshot fails. */
  async createSnapshot(persistentVolume: KubeObject, options: CreateSnapshotOptions = {}): Promise<VolumeSnapshotRecord> {
    const signal = options.abortSignal;
    throwIfAborted(signal);
    const reason = await this.#unsupportedReason(persistentVolume, signal);
    if (reason !== undefined) throw new KBackupError("Unsupported", reason, { details: { persistentVolume: persistentVolume?.metadata?.name } });
    const csi = csiOf(persistentVolume) as { driver: string; volumeHandle: string };
    const claim = options.claim ?? claimOf(persistentVolume);
    if (claim === undefined) throw new KBackupError("Unsupported", `PersistentVolume ${persistentVolume.metadata.name} is not bound to a claim.`);
    const snapshotClass = (await this.#classFor(csi.driver, signal)) as KubeObject;
    const name = boundedName(`kbackup-${claim.name}`);
    await this.#cluster.create(
      SNAPSHOTS,
      {
        apiVersion: `${GROUP}/v1`,
        kind: "VolumeSnapshot",
        metadata: { name, namespace: claim.namespace, labels: LABELS, ...(options.tags === undefined ? {} : { annotations: { "kbackup.io/tags": JSON.stringify(options.tags) } }) },
        spec: { volumeSnapshotClassName: snapshotClass.metadata.name, source: { persistentVolumeClaimName: claim.name } },
      },
      { abortSignal: signal },
    );
    try {
      const ready = await this.#waitForSnapshot(claim.namespace, name, signal);
      return {
        snapshotHandle: ready.handle,
        provider: this.name,
        persistentVolumeName: persistentVolume.metadata.name as string,
        claim: { namespace: claim.namespace, name: claim.name },
        driver: csi.driver,
        volumeHandle: csi.volumeHandle,
        sizeInBytes: ready.sizeInBytes,
        incremental: false,
        createdAt: ready.createdAt,
      };
    } catch (error) {
      await this.#bestEffort(() => this.#cluster.delete(SNAPSHOTS, name, { namespace: claim.namespace }), "delete the failed VolumeSnapshot");
      throw error;
    }
  }

  /** Deletes every VolumeSnapshot and content that hold the handle, and so the snapshot; `false` when none does. */
  async deleteSnapshot(snapshotHandle: string, options: OperationOptions = {}): Promise<boolean> {
    throwIfAborted(options.abortSignal);
    if (typeof snapshotHandle !== "string" || snapshotHandle === "") throw invalidArgument("snapshotHandle", "must be a non-empty string");
    const signal = options.abortSignal;
    const contents: KubeObject[] = [];
    for await (const content of this.#cluster.list(CONTENTS, { abortSignal: signal })) if (handleOf(content) === snapshotHandle) contents.push(content);
    for (const content of contents) {
      const name = content.metadata.name as string;
      if (field(content, "spec", "deletionPolicy") !== "Delete") {
        await this.#cluster.patch(CONTENTS, name, { spec: { deletionPolicy: "Delete" } }, { patchType: "merge", abortSignal: signal });
      }
      const ref = field(content, "spec", "volumeSnapshotRef") as Json | undefined;
      if (typeof ref?.["name"] === "string" && typeof ref["namespace"] === "string") {
        await this.#cluster.delete(SNAPSHOTS, ref["name"], { namespace: ref["namespace"], abortSignal: signal });
      }
      await this.#cluster.delete(CONTENTS, name, { abortSignal: signal });
    }
    return contents.length > 0;
  }

  /**
   * A new volume with the snapshot's bytes, through a temporary claim restored from the snapshot
   * (see the class). Throws `InvalidArgument` for a bad name, `Timeout` when the snapshot or the
   * claim does not become ready, `Aborted`; temporary objects are deleted also on failure.
   */
  async createVolume(snapshot: VolumeSnapshotRecord, persistentVolume: KubeObject, options: CreateVolumeOptions): Promise<RestoredVolume> {
    const signal = options?.abortSignal;
    throwIfAborted(signal);
    if (typeof snapshot !== "object" || snapshot === null || typeof snapshot.snapshotHandle !== "string" || snapshot.snapshotHandle === "") throw invalidArgument("snapshot.snapshotHandle", "must be a non-empty string");
    if (typeof persistentVolume !== "object" || persistentVolume === null || typeof persistentVolume.metadata !== "object") throw invalidArgument("persistentVolume", "must be a PersistentVolume");
    const newName = options?.persistentVolumeName;
    const problem = typeof newName === "string" ? dns1123SubdomainProblem(newName) : "must be a string";
    if (problem !== undefined) throw invalidArgument("options.persistentVolumeName", problem);
    const namespace = this.#workNamespace;
    const name = boundedName(`kbackup-restore-${newName}`);
    const cleanup: Array<() => Promise<unknown>> = [];
    try {
      await this.#ensureWorkNamespace(signal);
      const snapshotClass = await this.#classFor(snapshot.driver, signal);
      await this.#cluster.create(
        CONTENTS,
        {
          apiVersion: `${GROUP}/v1`,
          kind: "VolumeSnapshotContent",
          metadata: { name, labels: LABELS },
          spec: {
            deletionPolicy: "Retain",
            driver: snapshot.driver,
            source: { snapshotHandle: snapshot.snapshotHandle },
            ...(snapshotClass === undefined ? {} : { volumeSnapshotClassName: snapshotClass.metadata.name }),
            volumeSnapshotRef: { apiVersion: `${GROUP}/v1`, kind: "VolumeSnapshot", name, namespace },
          },
        },
        { abortSignal: signal },
      );
      cleanup.push(() => this.#cluster.delete(CONTENTS, name));
      await this.#cluster.create(
        SNAPSHOTS,
        {
          apiVersion: `${GROUP}/v1`,
          kind: "VolumeSnapshot",
          metadata: { name, namespace, labels: LABELS },
          spec: { source: { volumeSnapshotContentName: name }, ...(snapshotClass === undefined ? {} : { volumeSnapshotClassName: snapshotClass.metadata.name }) },
        },
        { abortSignal: signal },
      );
      cleanup.unshift(() => this.#cluster.delete(SNAPSHOTS, name, { namespace }));
      await this.#waitForSnapshot(namespace, name, signal);
      const claim = await this.#restoreClaim(name, namespace, snapshot, persistentVolume, options.location?.["node"], signal);
      cleanup.unshift(() => this.#cluster.delete(CLAIMS, name, { namespace }));
      const provisioned = await this.#keepVolume(claim, signal);
      const csi = csiOf(provisioned);
      if (csi === undefined) throw new KBackupError("Adapter", `The volume provisioned from snapshot ${snapshot.snapshotHandle} is not a CSI volume.`);
      return { volumeHandle: csi.volumeHandle, persistentVolume: rewritten(persistentVolume, provisioned, newName as string) };
    } finally {
      for (const step of cleanup) await this.#bestEffort(step, `delete a temporary object of the restore of ${snapshot.snapshotHandle}`);
    }
  }

  /** Always `Unsupported`: the CSI snapshot API has no data path to a snapshot's bytes. */
  async openSnapshot(snapshotHandle: string, options: OperationOptions = {}): Promise<SnapshotReader> {
    throwIfAborted(options.abortSignal);
    throw new KBackupError("Unsupported", `CSI snapshots cannot be read: the CSI snapshot API has no data path to a snapshot's bytes (snapshot ${snapshotHandle}). Use a provider with readData for vault-tier copies.`);
  }

  async #unsupportedReason(persistentVolume: KubeObject, signal: AbortSignal | undefined): Promise<string | undefined> {
    if (typeof persistentVolume !== "object" || persistentVolume === null || persistentVolume.kind !== "PersistentVolume" || typeof persistentVolume.metadata !== "object") {
      return "Only PersistentVolumes can be snapshotted.";
    }
    const name = persistentVolume.metadata.name ?? "(unnamed)";
    const csi = csiOf(persistentVolume);
    if (csi === undefined) return `PersistentVolume ${name} is not a CSI volume; CSI snapshots need a CSI driver.`;
    if (claimOf(persistentVolume) === undefined) return `PersistentVolume ${name} is not bound to a claim; a VolumeSnapshot is taken of a claim.`;
    const snapshotClass = await this.#classFor(csi.driver, signal).catch((error: unknown) => {
      if (isKBackupError(error, "NotFound")) return "no snapshot API" as const;
      throw error;
    });
    if (snapshotClass === "no snapshot API") return `The cluster does not serve ${GROUP}/v1 VolumeSnapshots, so PersistentVolume ${name} (CSI driver ${csi.driver}) cannot be snapshotted.`;
    if (snapshotClass === undefined) return `CSI driver ${csi.driver} of PersistentVolume ${name} has no VolumeSnapshotClass.`;
    return undefined;
  }

  /** The driver's default-annotated class, else its only one, else `undefined`. */
  async #classFor(driver: string, signal: AbortSignal | undefined): Promise<KubeObject | undefined> {
    const classes: KubeObject[] = [];
    for await (const snapshotClass of this.#cluster.list(CLASSES, { abortSignal: signal })) if (snapshotClass["driver"] === driver) classes.push(snapshotClass);
    return classes.find((snapshotClass) => snapshotClass.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true") ?? (classes.length === 1 ? classes[0] : undefined);
  }

  /**
   * Waits until the snapshot is ready; returns the handle, size and time its content reports. A
   * snapshot with `status.error` fails at once: `NotFound` when the error says the driver has no
   * such snapshot, else `Adapter`.
   */
  async #waitForSnapshot(namespace: string, name: string, signal: AbortSignal | undefined): Promise<{ handle: string; sizeInBytes: number; createdAt: string }> {
    return waitUntil(
      async (note) => {
        const snapshot = await this.#cluster.get(SNAPSHOTS, name, { namespace, abortSignal: signal });
        if (snapshot === undefined) throw new KBackupError("NotFound", `VolumeSnapshot ${namespace}/${name} was deleted while waiting for it.`);
        const error = field(snapshot, "status", "error", "message");
        if (field(snapshot, "status", "readyToUse") !== true) {
          // A driver reports a snapshot it does not have as gRPC NotFound, which the snapshotter words "not found".
          if (typeof error === "string") throw new KBackupError(/not ?found/i.test(error) ? "NotFound" : "Adapter", `VolumeSnapshot ${namespace}/${name} failed: ${error}`);
          note("not ready to use");
          return undefined;
        }
        const contentName = field(snapshot, "status", "boundVolumeSnapshotContentName");
        const content = typeof contentName === "string" ? await this.#cluster.get(CONTENTS, contentName, { abortSignal: signal }) : undefined;
        const handle = content === undefined ? undefined : handleOf(content);
        if (content === undefined || handle === undefined) {
          note("its content has no snapshot handle yet");
          return undefined;
        }
        const size = field(content, "status", "restoreSize");
        const creationTime = field(content, "status", "creationTime");
        return {
          handle,
          sizeInBytes: typeof size === "number" ? size : 0,
          createdAt: typeof creationTime === "number" ? new Date(creationTime / 1e6).toISOString() : new Date().toISOString(),
        };
      },
      { timeoutInMs: this.#readyTimeoutInMs, what: `VolumeSnapshot ${namespace}/${name} to be ready to use`, signal },
    );
  }

  /** Creates the temporary claim restored from the snapshot and waits until it is bound. */
  async #restoreClaim(name: string, namespace: string, snapshot: VolumeSnapshotRecord, persistentVolume: KubeObject, node: string | undefined, signal: AbortSignal | undefined): Promise<KubeObject> {
    const spec = (persistentVolume["spec"] ?? {}) as Json;
    const storageClassName = typeof spec["storageClassName"] === "string" && spec["storageClassName"] !== "" ? spec["storageClassName"] : undefined;
    const capacity = field(persistentVolume, "spec", "capacity", "storage") ?? String(Math.max(1, snapshot.sizeInBytes));
    const selectedNode = await this.#nodeForFirstConsumer(storageClassName, node, signal);
    await this.#cluster.create(
      CLAIMS,
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace, labels: LABELS, ...(selectedNode === undefined ? {} : { annotations: { [SELECTED_NODE_ANNOTATION]: selectedNode } }) },
        spec: {
          accessModes: spec["accessModes"] ?? ["ReadWriteOnce"],
          resources: { requests: { storage: capacity } },
          ...(storageClassName === undefined ? {} : { storageClassName }),
          ...(typeof spec["volumeMode"] === "string" ? { volumeMode: spec["volumeMode"] } : {}),
          dataSource: { apiGroup: GROUP, kind: "VolumeSnapshot", name },
        },
      },
      { abortSignal: signal },
    );
    return waitUntil(
      async (note) => {
        const claim = await this.#cluster.get(CLAIMS, name, { namespace, abortSignal: signal });
        const phase = claim === undefined ? "gone" : field(claim, "status", "phase");
        note(`phase ${String(phase)}`);
        return claim !== undefined && phase === "Bound" && typeof field(claim, "spec", "volumeName") === "string" ? claim : undefined;
      },
      { timeoutInMs: this.#readyTimeoutInMs, what: `the claim ${namespace}/${name} restored from snapshot ${snapshot.snapshotHandle} to bind`, signal },
    );
  }

  /** The node a claim of a class that binds on first consumer must name: the one given, else the first ready node. */
  async #nodeForFirstConsumer(storageClassName: string | undefined, node: string | undefined, signal: AbortSignal | undefined): Promise<string | undefined> {
    if (storageClassName === undefined) return undefined;
    const storageClass = await this.#cluster.get(STORAGE_CLASSES, storageClassName, { abortSignal: signal });
    if (storageClass?.["volumeBindingMode"] !== "WaitForFirstConsumer") return undefined;
    if (node !== undefined) return node;
    try {
      for await (const candidate of this.#cluster.list(NODES, { abortSignal: signal })) {
        const conditions = field(candidate, "status", "conditions");
        if (Array.isArray(conditions) && conditions.some((condition: Json) => condition["type"] === "Ready" && condition["status"] === "True")) return candidate.metadata.name;
      }
    } catch (error) {
      if (!isKBackupError(error, "NotFound")) throw error;
    }
    return undefined;
  }

  /** Detaches the provisioned volume from the temporary claim without deleting it; returns its PV as it was. */
  async #keepVolume(claim: KubeObject, signal: AbortSignal | undefined): Promise<KubeObject> {
    const volumeName = field(claim, "spec", "volumeName") as string;
    const volume = await this.#cluster.get(VOLUMES, volumeName, { abortSignal: signal });
    if (volume === undefined) throw new KBackupError("NotFound", `The volume ${volumeName} of the restored claim does not exist.`);
    await this.#cluster.patch(VOLUMES, volumeName, { spec: { persistentVolumeReclaimPolicy: "Retain" } }, { patchType: "merge", abortSignal: signal });
    await this.#cluster.delete(CLAIMS, claim.metadata.name as string, { namespace: claim.metadata.namespace as string, abortSignal: signal });
    await this.#cluster.delete(VOLUMES, volumeName, { abortSignal: signal });
    return volume;
  }

  async #ensureWorkNamespace(signal: AbortSignal | undefined): Promise<void> {
    if ((await this.#cluster.get(NAMESPACES, this.#workNamespace, { abortSignal: signal })) !== undefined) return;
    try {
      await this.#cluster.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: this.#workNamespace, labels: LABELS } }, { abortSignal: signal });
    } catch (error) {
      if (!isKBackupError(error, "AlreadyExists")) throw error;
    }
  }

  async #bestEffort(step: () => Promise<unknown>, what: string): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.#logger.warn(`Could not ${what}`, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** The backed-up PV, pointing at the provisioned volume under its new name; server fields, status and claimRef removed. */
function rewritten(backedUp: KubeObject, provisioned: KubeObject, name: string): KubeObject {
  const volume = structuredClone(backedUp);
  for (const key of SERVER_METADATA) delete volume.metadata[key];
  delete volume.metadata.namespace;
  delete volume["status"];
  volume.metadata.name = name;
  const spec = (volume["spec"] ?? {}) as Json;
  const provisionedSpec = (provisioned["spec"] ?? {}) as Json;
  delete spec["claimRef"];
  const csi = { ...(provisionedSpec["csi"] as Json) };
  const attributes = csi["volumeAttributes"];
  if (typeof attributes === "object" && attributes !== null) {
    const kept = { ...(attributes as Record<string, string>) };
    // The attributes naming the temporary claim and volume are the restored ones'.
    delete kept["csi.storage.k8s.io/pvc/name"];
    delete kept["csi.storage.k8s.io/pvc/namespace"];
    if ("csi.storage.k8s.io/pv/name" in kept) kept["csi.storage.k8s.io/pv/name"] = name;
    csi["volumeAttributes"] = kept;
  }
  spec["csi"] = csi;
  if (provisionedSpec["capacity"] !== undefined) spec["capacity"] = provisionedSpec["capacity"];
  if (provisionedSpec["nodeAffinity"] === undefined) delete spec["nodeAffinity"];
  else spec["nodeAffinity"] = provisionedSpec["nodeAffinity"];
  volume["spec"] = spec;
  return volume;
}

function csiOf(volume: KubeObject): { driver: string; volumeHandle: string } | undefined {
  const csi = field(volume, "spec", "csi") as Json | undefined;
  return typeof csi?.["driver"] === "string" && typeof csi["volumeHandle"] === "string" ? { driver: csi["driver"], volumeHandle: csi["volumeHandle"] } : undefined;
}

function claimOf(volume: KubeObject): { namespace: string; name: string } | undefined {
  const ref = field(volume, "spec", "claimRef") as Json | undefined;
  return typeof ref?.["namespace"] === "string" && typeof ref["name"] === "string" ? { namespace: ref["namespace"], name: ref["name"] } : undefined;
}

function handleOf(content: KubeObject): string | undefined {
  const handle = field(content, "status", "snapshotHandle") ?? field(content, "spec", "source", "snapshotHandle");
  return typeof handle === "string" && handle !== "" ? handle : undefined;
}

/** `prefix-<8 hex>`, cut so that it stays a valid object name. */
function boundedName(prefix: string): string {
  const cut = prefix.toLowerCase().replace(/[^a-z0-9.-]/g, "-").slice(0, 200).replace(/[-.]+$/, "");
  return `${cut}-${randomBytes(4).toString("hex")}`;
}

function field(object: unknown, ...path: string[]): unknown {
  let value = object;
  for (const key of path) value = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json)[key] : undefined;
  return value;
}
