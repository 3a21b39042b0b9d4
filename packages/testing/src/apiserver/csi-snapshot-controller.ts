import { randomUUID } from "node:crypto";
import type { BlockImage } from "@kbackup/adapter-memory";
import type { ClusterClient, KubeObject, ResourceRef } from "@kbackup/core";
import { formatQuantity, parseBinaryQuantity } from "../fixtures/volumes.js";
import type { LocalSnapshot, LocalSnapshotStorage } from "./local-snapshot-storage.js";

/** The disks of a memory cluster, as far as the controller uses them (`MemoryCluster.disks`). */
export interface SnapshotDisks {
  has(volumeHandle: string): boolean;
  image(volumeHandle: string): BlockImage;
  create(volumeHandle: string, sizeInBytes: number, image?: BlockImage): void;
}

const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
const VOLUME_SNAPSHOTS: ResourceRef = { group: SNAPSHOT_GROUP, version: "v1", resource: "volumesnapshots" };
const VOLUME_SNAPSHOT_CONTENTS: ResourceRef = { group: SNAPSHOT_GROUP, version: "v1", resource: "volumesnapshotcontents" };
const VOLUME_SNAPSHOT_CLASSES: ResourceRef = { group: SNAPSHOT_GROUP, version: "v1", resource: "volumesnapshotclasses" };
const CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const VOLUMES: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };
const DEFAULT_CLASS_ANNOTATION = "snapshot.storage.kubernetes.io/is-default-class";

type Json = Record<string, unknown>;

/**
 * The CSI external snapshotter and the restore half of the external provisioner, for a memory
 * cluster's disks. The server calls it after each write it serves:
 * - a `VolumeSnapshot` of a bound claim is taken at once: the disk's bytes go to the snapshot
 *   storage, a `VolumeSnapshotContent` is made from the class (the one named, else the driver's
 *   default-annotated one, else its only one) and both become `readyToUse`; a snapshot that
 *   cannot be taken gets `status.error` with the reason;
 * - a pre-provisioned `VolumeSnapshotContent` (`spec.source.snapshotHandle`) is ready when the
 *   storage holds the handle, and the `VolumeSnapshot` naming it binds to it;
 * - a claim with `dataSource` (or `dataSourceRef`) naming a `VolumeSnapshot` gets a new disk with
 *   the snapshot's bytes and a `PersistentVolume` bound to it; until the snapshot is ready the
 *   claim waits in `Pending`;
 * - deleting a snapshot whose content's `deletionPolicy` is `Delete` deletes the content and the
 *   stored snapshot.
 */
export class CsiSnapshotController {
  readonly #cluster: ClusterClient;
  readonly #disks: SnapshotDisks | undefined;
  readonly #storage: LocalSnapshotStorage;

  constructor(cluster: ClusterClient, disks: SnapshotDisks | undefined, storage: LocalSnapshotStorage) {
    this.#cluster = cluster;
    this.#disks = disks;
    this.#storage = storage;
  }

  /**
   * What a claim is created as: one restored from a snapshot names the volume the controller will
   * make for it (`spec.volumeName`), so that no other provisioner takes it meanwhile.
   */
  prepareCreate(resource: ResourceRef, object: KubeObject): KubeObject {
    if (!isClaims(resource) || snapshotSourceOf(object) === undefined) return object;
    const spec = isObject(object["spec"]) ? object["spec"] : {};
    if (typeof spec["volumeName"] === "string" && spec["volumeName"] !== "") return object;
    return { ...object, spec: { ...spec, volumeName: `pvc-${randomUUID()}` } };
  }

  /** Acts on an object the server created. */
  async afterCreate(resource: ResourceRef, object: KubeObject): Promise<void> {
    const { namespace, name } = object.metadata;
    if (sameResource(resource, VOLUME_SNAPSHOTS) && namespace !== undefined && name !== undefined) {
      await this.#reconcileSnapshot(namespace, name);
    } else if (sameResource(resource, VOLUME_SNAPSHOT_CONTENTS)) {
      await this.#reconcileStaticContent(object);
    } else if (isClaims(resource)) {
      await this.#provisionFromSnapshot(object);
    }
  }

  /** Acts on an object the server deleted, as it was before. */
  async afterDelete(resource: ResourceRef, object: KubeObject): Promise<void> {
    if (sameResource(resource, VOLUME_SNAPSHOTS)) {
      const contentName = field(object, "status", "boundVolumeSnapshotContentName");
      if (typeof contentName !== "string") return;
      const content = await this.#cluster.get(VOLUME_SNAPSHOT_CONTENTS, contentName);
      if (content === undefined || field(content, "spec", "deletionPolicy") !== "Delete") return;
      await this.#cluster.delete(VOLUME_SNAPSHOT_CONTENTS, contentName);
      this.#deleteStored(content);
    } else if (sameResource(resource, VOLUME_SNAPSHOT_CONTENTS) && field(object, "spec", "deletionPolicy") === "Delete") {
      this.#deleteStored(object);
    }
  }

  #deleteStored(content: KubeObject): void {
    const handle = field(content, "status", "snapshotHandle") ?? field(content, "spec", "source", "snapshotHandle");
    if (typeof handle === "string") this.#storage.delete(handle);
  }

  async #reconcileSnapshot(namespace: string, name: string): Promise<void> {
    const snapshot = await this.#cluster.get(VOLUME_SNAPSHOTS, name, { namespace });
    if (snapshot === undefined || field(snapshot, "status", "readyToUse") === true) return;
    try {
      const staticContent = field(snapshot, "spec", "source", "volumeSnapshotContentName");
      const bound = typeof staticContent === "string" ? await this.#bindStatic(snapshot, staticContent) : await this.#takeSnapshot(snapshot);
      await this.#cluster.patch(
        VOLUME_SNAPSHOTS,
        name,
        {
          status: {
            boundVolumeSnapshotContentName: bound.contentName,
            creationTime: new Date(bound.stored.creationTimeInNs / 1e6).toISOString().replace(/\.\d{3}Z$/, "Z"),
            readyToUse: true,
            restoreSize: formatQuantity(Math.max(1, bound.stored.sizeInBytes)),
          },
        },
        { namespace, patchType: "merge", subresource: "status" },
      );
      await this.#provisionWaitingClaims(namespace, name);
    } catch (error) {
      if (!(error instanceof SnapshotProblem)) throw error;
      const status = { readyToUse: false, error: { message: error.message, time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") } };
      await this.#cluster.patch(VOLUME_SNAPSHOTS, name, { status }, { namespace, patchType: "merge", subresource: "status" });
    }
  }

  /** Takes a dynamic snapshot of the claim the VolumeSnapshot names; returns its content. */
  async #takeSnapshot(snapshot: KubeObject): Promise<{ contentName: string; stored: LocalSnapshot }> {
    const namespace = snapshot.metadata.namespace as string;
    const claimName = field(snapshot, "spec", "source", "persistentVolumeClaimName");
    if (typeof claimName !== "string") throw new SnapshotProblem("spec.source must name a persistentVolumeClaimName or a volumeSnapshotContentName");
    const claim = await this.#cluster.get(CLAIMS, claimName, { namespace });
    const volumeName = claim === undefined ? undefined : field(claim, "spec", "volumeName");
    if (claim === undefined || field(claim, "status", "phase") !== "Bound" || typeof volumeName !== "string") {
      throw new SnapshotProblem(`PersistentVolumeClaim ${namespace}/${claimName} is not bound to a volume`);
    }
    const volume = await this.#cluster.get(VOLUMES, volumeName);
    const driver = volume === undefined ? undefined : field(volume, "spec", "csi", "driver");
    const volumeHandle = volume === undefined ? undefined : field(volume, "spec", "csi", "volumeHandle");
    if (typeof driver !== "string" || typeof volumeHandle !== "string") throw new SnapshotProblem(`PersistentVolume ${volumeName} is not a CSI volume`);
    const snapshotClass = await this.#classFor(snapshot, driver);
    if (this.#disks === undefined || !this.#disks.has(volumeHandle)) throw new SnapshotProblem(`driver ${driver} has no disk with volume handle ${volumeHandle}`);
    const stored = this.#storage.take(driver, volumeHandle, this.#disks.image(volumeHandle), new Date());
    const contentName = `snapcontent-${snapshot.metadata.uid ?? randomUUID()}`;
    await this.#cluster.create(VOLUME_SNAPSHOT_CONTENTS, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotContent",
      metadata: { name: contentName },
      spec: {
        deletionPolicy: typeof snapshotClass["deletionPolicy"] === "string" ? snapshotClass["deletionPolicy"] : "Delete",
        driver,
        source: { volumeHandle },
        volumeSnapshotClassName: snapshotClass.metadata.name,
        volumeSnapshotRef: snapshotRef(snapshot),
      },
    });
    await this.#markContentReady(contentName, stored);
    if (field(snapshot, "spec", "volumeSnapshotClassName") === undefined) {
      await this.#cluster.patch(VOLUME_SNAPSHOTS, snapshot.metadata.name as string, { spec: { volumeSnapshotClassName: snapshotClass.metadata.name } }, { namespace, patchType: "merge" });
    }
    return { contentName, stored };
  }

  /** The class a snapshot names, or the driver's default (or only) one. */
  async #classFor(snapshot: KubeObject, driver: string): Promise<KubeObject> {
    const named = field(snapshot, "spec", "volumeSnapshotClassName");
    if (typeof named === "string") {
      const snapshotClass = await this.#cluster.get(VOLUME_SNAPSHOT_CLASSES, named);
      if (snapshotClass === undefined) throw new SnapshotProblem(`VolumeSnapshotClass ${named} does not exist`);
      if (snapshotClass["driver"] !== driver) throw new SnapshotProblem(`VolumeSnapshotClass ${named} is for driver ${String(snapshotClass["driver"])}, not ${driver}`);
      return snapshotClass;
    }
    const classes: KubeObject[] = [];
    for await (const snapshotClass of this.#cluster.list(VOLUME_SNAPSHOT_CLASSES)) if (snapshotClass["driver"] === driver) classes.push(snapshotClass);
    const chosen = classes.find((snapshotClass) => snapshotClass.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true") ?? (classes.length === 1 ? classes[0] : undefined);
    if (chosen === undefined) throw new SnapshotProblem(`no default VolumeSnapshotClass for driver ${driver}`);
    return chosen;
  }

  /** Binds a VolumeSnapshot to the pre-provisioned content it names. */
  async #bindStatic(snapshot: KubeObject, contentName: string): Promise<{ contentName: string; stored: LocalSnapshot }> {
    const content = await this.#cluster.get(VOLUME_SNAPSHOT_CONTENTS, contentName);
    if (content === undefined) throw new SnapshotProblem(`VolumeSnapshotContent ${contentName} does not exist`);
    const ref = field(content, "spec", "volumeSnapshotRef");
    if (!isObject(ref) || ref["name"] !== snapshot.metadata.name || ref["namespace"] !== snapshot.metadata.namespace) {
      throw new SnapshotProblem(`VolumeSnapshotContent ${contentName} is bound to another VolumeSnapshot`);
    }
    const handle = field(content, "spec", "source", "snapshotHandle") ?? field(content, "status", "snapshotHandle");
    const stored = typeof handle === "string" ? this.#storage.get(handle) : undefined;
    if (stored === undefined) throw new SnapshotProblem(`snapshot ${String(handle)} not found`);
    await this.#markContentReady(contentName, stored);
    return { contentName, stored };
  }

  async #reconcileStaticContent(content: KubeObject): Promise<void> {
    const handle = field(content, "spec", "source", "snapshotHandle");
    const stored = typeof handle === "string" ? this.#storage.get(handle) : undefined;
    if (stored !== undefined) await this.#markContentReady(content.metadata.name as string, stored);
    const ref = field(content, "spec", "volumeSnapshotRef");
    if (isObject(ref) && typeof ref["namespace"] === "string" && typeof ref["name"] === "string") await this.#reconcileSnapshot(ref["namespace"], ref["name"]);
  }

  async #markContentReady(contentName: string, stored: LocalSnapshot): Promise<void> {
    const status = { creationTime: stored.creationTimeInNs, readyToUse: true, restoreSize: stored.sizeInBytes, snapshotHandle: stored.snapshotHandle };
    await this.#cluster.patch(VOLUME_SNAPSHOT_CONTENTS, contentName, { status }, { patchType: "merge", subresource: "status" });
  }

  async #provisionWaitingClaims(namespace: string, snapshotName: string): Promise<void> {
    for await (const claim of this.#cluster.list(CLAIMS, { namespace })) {
      if (snapshotSourceOf(claim) === snapshotName) await this.#provisionFromSnapshot(claim);
    }
  }

  /** Makes the volume of a claim restored from a snapshot, once the snapshot is ready. */
  async #provisionFromSnapshot(claim: KubeObject): Promise<void> {
    const snapshotName = snapshotSourceOf(claim);
    const namespace = claim.metadata.namespace;
    const volumeName = field(claim, "spec", "volumeName");
    if (snapshotName === undefined || namespace === undefined || typeof volumeName !== "string" || field(claim, "status", "phase") === "Bound") return;
    if (this.#disks === undefined || (await this.#cluster.get(VOLUMES, volumeName)) !== undefined) return;
    const snapshot = await this.#cluster.get(VOLUME_SNAPSHOTS, snapshotName, { namespace });
    const contentName = snapshot === undefined ? undefined : field(snapshot, "status", "boundVolumeSnapshotContentName");
    if (snapshot === undefined || field(snapshot, "status", "readyToUse") !== true || typeof contentName !== "string") return;
    const content = await this.#cluster.get(VOLUME_SNAPSHOT_CONTENTS, contentName);
    const handle = content === undefined ? undefined : field(content, "status", "snapshotHandle");
    const stored = typeof handle === "string" ? this.#storage.get(handle) : undefined;
    if (stored === undefined) return;
    const spec = claim["spec"] as Json;
    const requested = field(claim, "spec", "resources", "requests", "storage");
    const sizeInBytes = Math.max(stored.sizeInBytes, (typeof requested === "string" ? parseBinaryQuantity(requested) : undefined) ?? 0);
    const className = typeof spec["storageClassName"] === "string" ? spec["storageClassName"] : undefined;
    const storageClass = className === undefined ? undefined : await this.#cluster.get(STORAGE_CLASSES, className);
    const volumeHandle = this.#newVolumeHandle(stored.sourceVolumeHandle, volumeName);
    this.#disks.create(volumeHandle, sizeInBytes, stored.image);
    const parameters = storageClass !== undefined && isObject(storageClass["parameters"]) ? storageClass["parameters"] : {};
    await this.#cluster.create(VOLUMES, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: volumeName, annotations: { "pv.kubernetes.io/provisioned-by": stored.driver } },
      spec: {
        accessModes: spec["accessModes"] ?? ["ReadWriteOnce"],
        capacity: { storage: formatQuantity(Math.max(1, sizeInBytes)) },
        claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name: claim.metadata.name, uid: claim.metadata.uid },
        csi: {
          driver: stored.driver,
          volumeHandle,
          volumeAttributes: { ...parameters, "csi.storage.k8s.io/pv/name": volumeName, "csi.storage.k8s.io/pvc/name": claim.metadata.name, "csi.storage.k8s.io/pvc/namespace": namespace },
        },
        persistentVolumeReclaimPolicy: typeof storageClass?.["reclaimPolicy"] === "string" ? storageClass["reclaimPolicy"] : "Delete",
        ...(className === undefined ? {} : { storageClassName: className }),
        volumeMode: typeof spec["volumeMode"] === "string" ? spec["volumeMode"] : "Filesystem",
      },
    });
  }

  /** A handle beside the snapshot's source (an ARM id keeps its path), named for the new volume. */
  #newVolumeHandle(sourceHandle: string, volumeName: string): string {
    const slash = sourceHandle.lastIndexOf("/");
    const handle = slash < 0 ? volumeName : `${sourceHandle.slice(0, slash + 1)}${volumeName}`;
    return this.#disks?.has(handle) === true ? `${handle}-${randomUUID().slice(0, 8)}` : handle;
  }
}

/** Why a snapshot cannot be taken or bound: written to its `status.error`. */
class SnapshotProblem extends Error {}

/** The VolumeSnapshot a claim is restored from, or `undefined`. */
function snapshotSourceOf(claim: KubeObject): string | undefined {
  for (const key of ["dataSource", "dataSourceRef"]) {
    const source = field(claim, "spec", key);
    if (isObject(source) && source["kind"] === "VolumeSnapshot" && source["apiGroup"] === SNAPSHOT_GROUP && typeof source["name"] === "string") return source["name"];
  }
  return undefined;
}

function snapshotRef(snapshot: KubeObject): Json {
  return {
    apiVersion: snapshot.apiVersion,
    kind: "VolumeSnapshot",
    name: snapshot.metadata.name,
    namespace: snapshot.metadata.namespace,
    uid: snapshot.metadata.uid,
    resourceVersion: snapshot.metadata.resourceVersion,
  };
}

function sameResource(a: ResourceRef, b: ResourceRef): boolean {
  return a.group === b.group && a.resource === b.resource;
}

function isClaims(resource: ResourceRef): boolean {
  return sameResource(resource, CLAIMS);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a path of nested objects, or `undefined`. */
function field(object: unknown, ...path: string[]): unknown {
  let value = object;
  for (const key of path) value = isObject(value) ? value[key] : undefined;
  return value;
}
